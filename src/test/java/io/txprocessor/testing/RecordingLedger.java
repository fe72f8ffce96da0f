package io.txprocessor.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A ledger for tests: a real HTTP/1.1 server on a free loopback port that books {@code POST /entries} the way an
 * idempotent ledger does, and records every request it received and how it ended.
 *
 * <ul>
 * <li>A new {@code Idempotency-Key}: the entry is booked at once (its effect counted under the transaction id of
 * the body, not the key, so a client that changed the key on a repeat would show as a double booking), then the
 * answer, 201, waits for {@link #answerAfter the configured delay}: a ledger that committed but is slow to say
 * so.</li>
 * <li>A key seen before: the stored result, 200 with {@code Idempotent-Replayed: true}, at once; nothing booked.</li>
 * <li>{@link #reject}: that key is always answered with the given status; {@link #unavailableOnce}: its first
 * request is; nothing booked either way.</li>
 * </ul>
 * While it waits to answer, the server watches the connection: when the client closes or resets it, the request
 * is recorded as {@link Ending#CLIENT_WENT_AWAY} at once. (Not the JDK's {@code HttpServer}: its handlers cannot
 * see a client leave before they write.) Every answer closes its connection.
 */
public final class RecordingLedger implements AutoCloseable {

    /** How a request ended. */
    public enum Ending {
        /** The ledger answered (any status). */
        ANSWERED,
        /** The client closed the connection before the answer. */
        CLIENT_WENT_AWAY
    }

    /**
     * One request as the ledger received it.
     *
     * @param idempotencyKey the {@code Idempotency-Key} header, null when absent
     * @param transactionId the {@code id} of the JSON body
     * @param status the status answered (or that would have been, for a client that went away)
     * @param booked true if this request booked the entry (the key's first success)
     * @param ending how it ended
     */
    public record Request(String idempotencyKey, String transactionId, int status, boolean booked, Ending ending) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a waiting request looks at its connection. */
    private static final int WATCH_MILLIS = 20;

    private final ServerSocket server;
    private final ExecutorService connections;
    private final Thread acceptor;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Booked entries: idempotency key to the transaction id of the body it booked. */
    private final Map<String, String> booked = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> bookingsByTransaction = new ConcurrentHashMap<>();
    private final Map<String, Integer> rejected = new ConcurrentHashMap<>();
    private final Map<String, Integer> unavailableOnce = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile Duration answerDelay = Duration.ZERO;

    private RecordingLedger(ServerSocket server) {
        this.server = server;
        this.connections = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "recording-ledger-connection");
            thread.setDaemon(true);
            return thread;
        });
        this.acceptor = new Thread(this::accept, "recording-ledger-acceptor");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Starts a ledger on a port the OS chooses; {@link #close()} stops it. */
    public static RecordingLedger start() {
        try {
            return new RecordingLedger(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL to give the service ({@code LEDGER_URL}). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** How long a first booking waits before it is answered, from now on (requests already waiting keep theirs). */
    public void answerAfter(Duration delay) {
        this.answerDelay = delay;
    }

    /** Answers every request with this key with {@code status} and books nothing. */
    public void reject(String idempotencyKey, int status) {
        rejected.put(idempotencyKey, status);
    }

    /** Answers the next request with this key with {@code status} and books nothing; later ones as usual. */
    public void unavailableOnce(String idempotencyKey, int status) {
        unavailableOnce.put(idempotencyKey, status);
    }

    /** Every request received so far, finished ones only (a request waiting for its answer is not in it yet). */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Requests received whose answer is still pending. */
    public int waiting() {
        return waiting.get();
    }

    /** How many times each transaction id (of the body) was booked. */
    public Map<String, Integer> bookingsByTransaction() {
        Map<String, Integer> counts = new HashMap<>();
        bookingsByTransaction.forEach((id, count) -> counts.put(id, count.get()));
        return counts;
    }

    /** The finished requests per idempotency key ("null" for none), in the order they finished. */
    public Map<String, List<Request>> requestsByKey() {
        return requests.stream().collect(Collectors.groupingBy(request -> String.valueOf(request.idempotencyKey())));
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.execute(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            Map<String, String> headers = new HashMap<>();
            String requestLine = readLine(in);
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            if (requestLine == null || !requestLine.startsWith("POST ") || !requestLine.contains("/entries")) {
                answer(socket, 404, Map.of(), "");
                return;
            }
            String body = new String(readBody(in, headers), StandardCharsets.UTF_8);
            handle(socket, headers.get("idempotency-key"), JSON.readTree(body));
        } catch (IOException e) {
            // a client that went away while sending; nothing was booked
        }
    }

    private void handle(Socket socket, String key, JsonNode entry) throws IOException {
        String transactionId = entry.path("id").asText(null);
        Integer refusal = rejected.get(key);
        if (refusal == null) {
            refusal = unavailableOnce.remove(key);
        }
        if (refusal != null || key == null) {
            int status = refusal != null ? refusal : 400;
            answer(socket, status, Map.of(), "{\"error\":\"refused\"}");
            requests.add(new Request(key, transactionId, status, false, Ending.ANSWERED));
            return;
        }
        if (booked.putIfAbsent(key, transactionId) != null) {
            answer(socket, 200, Map.of("Idempotent-Replayed", "true"), "{\"entry\":\"" + key + "\"}");
            requests.add(new Request(key, transactionId, 200, false, Ending.ANSWERED));
            return;
        }
        bookingsByTransaction.computeIfAbsent(transactionId, id -> new AtomicInteger()).incrementAndGet();
        Duration delay = answerDelay;
        waiting.incrementAndGet();
        try {
            Ending ending = clientStaysFor(socket, delay) ? Ending.ANSWERED : Ending.CLIENT_WENT_AWAY;
            if (ending == Ending.ANSWERED) {
                answer(socket, 201, Map.of(), "{\"entry\":\"" + key + "\"}");
            }
            requests.add(new Request(key, transactionId, 201, true, ending));
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Waits {@code delay} watching the connection; false as soon as the client closed or reset it. */
    private boolean clientStaysFor(Socket socket, Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        try {
            socket.setSoTimeout(WATCH_MILLIS);
            InputStream in = socket.getInputStream();
            while (System.nanoTime() < end) {
                if (server.isClosed()) {
                    return false; // the test is over
                }
                try {
                    if (in.read() < 0) {
                        return false; // end of stream: the client closed its side
                    }
                } catch (SocketTimeoutException e) {
                    // still connected, nothing sent: keep waiting
                }
            }
            return true;
        } catch (IOException e) {
            return false; // reset by the client
        }
    }

    private static void answer(Socket socket, int status, Map<String, String> headers, String body)
            throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(content.length).append("\r\n")
                .append("Connection: close\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(content);
        out.flush();
    }

    private static byte[] readBody(InputStream in, Map<String, String> headers) throws IOException {
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
                body.write(in.readNBytes(size));
                readLine(in); // the CRLF after the chunk
            }
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                // trailers: none expected
            }
            return body.toByteArray();
        }
        return in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    }

    private static int chunkSize(InputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            throw new IOException("connection closed inside a chunked body");
        }
        int extension = line.indexOf(';');
        return Integer.parseInt((extension < 0 ? line : line.substring(0, extension)).trim(), 16);
    }

    /** One CRLF-terminated line, without the CRLF; null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        connections.shutdownNow();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
            connections.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
