package io.txprocessor.testing.netlab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy that holds every chunk it reads for a one-way delay before it writes it on, each direction apart and
 * in order: the delay the kernel here cannot add ({@code tc netem} is not built in). A 50 ms delay makes a 100 ms
 * round trip. The delay may change while connections are open; it applies to chunks read from then on.
 *
 * <p>
 * Threads: one accepts; per connection and direction, a reader stamps each chunk with the time it is due and a
 * writer writes it then. A connection's end (EOF) is passed on after its data, as a half close; an error on
 * either side closes both.
 */
public final class DelayProxy implements AutoCloseable {

    private static final byte[] END = new byte[0];

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile long delayNanos;
    private final AtomicLong held = new AtomicLong();

    private DelayProxy(ServerSocket server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /** Listens on {@code host:port} and forwards each connection to {@code targetHost:targetPort}, no delay yet. */
    public static DelayProxy start(String host, int port, String targetHost, int targetPort) {
        try {
            ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(host));
            DelayProxy proxy = new DelayProxy(server, new InetSocketAddress(targetHost, targetPort));
            daemon("delay-proxy-accept", proxy::accept).start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** From now on, each chunk is written on this long after it was read, each way. */
    public void delay(Duration oneWay) {
        delayNanos = oneWay.toNanos();
    }

    /** How many chunks were held back for a delay so far: the proof that the delay acted. */
    public long heldChunks() {
        return held.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                sockets.add(client);
                sockets.add(upstream);
                upstream.connect(target, 5000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                pipe(client, upstream, "up");
                pipe(upstream, client, "down");
            } catch (IOException e) {
                // the server socket closed (close()), or one connection failed: the client sees it closed
            }
        }
    }

    private void pipe(Socket from, Socket to, String direction) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        String name = "delay-proxy-" + direction + "-" + from.getPort();
        daemon(name + "-read", () -> read(from, to, queue)).start();
        daemon(name + "-write", () -> write(from, to, queue)).start();
    }

    private void read(Socket from, Socket to, BlockingQueue<Chunk> queue) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
            }
            queue.add(new Chunk(System.nanoTime() + delayNanos, END));
        } catch (IOException e) {
            closeBoth(from, to);
            queue.add(new Chunk(System.nanoTime(), END)); // so that the writer ends too
        }
    }

    private void write(Socket from, Socket to, BlockingQueue<Chunk> queue) {
        try {
            OutputStream out = to.getOutputStream();
            while (true) {
                Chunk chunk = queue.take();
                long wait = chunk.due() - System.nanoTime();
                if (wait > 0) {
                    held.incrementAndGet();
                    // The proxy's whole point: hold the chunk until it is due (not a test waiting on a guess).
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (chunk.bytes() == END) {
                    to.shutdownOutput();
                    return;
                }
                out.write(chunk.bytes());
                out.flush();
            }
        } catch (IOException e) {
            closeBoth(from, to);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeBoth(from, to);
        }
    }

    private void closeBoth(Socket a, Socket b) {
        close(a);
        close(b);
    }

    private void close(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Stops accepting and closes every connection (the threads end with them). */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        sockets.forEach(this::close);
    }

    private record Chunk(long due, byte[] bytes) {
    }
}
