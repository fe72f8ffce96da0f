package io.txprocessor.dev;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a Docker (or Podman) engine answers on this machine, the way Quarkus Dev Services need one: its API's
 * {@code GET /_ping} over the local socket answered with 200. Dev mode asks before starting a local PostgreSQL
 * server, because the configuration it names it in is read before Dev Services run: where an engine answers, the
 * datasource is theirs. Only local sockets are asked (a {@code tcp://} {@code DOCKER_HOST} counts as answering
 * without being asked: starting nothing is the safe side there).
 */
final class DockerEngine {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private DockerEngine() {
    }

    /** Where engines listen: {@code DOCKER_HOST} ({@code unix://}), Docker's and Podman's usual sockets. */
    static List<Path> sockets() {
        List<Path> sockets = new ArrayList<>();
        String host = System.getenv("DOCKER_HOST");
        if (host != null && host.startsWith("unix://")) {
            sockets.add(Path.of(host.substring("unix://".length())));
        }
        sockets.add(Path.of("/var/run/docker.sock"));
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null) {
            sockets.add(Path.of(runtime, "docker.sock"));
            sockets.add(Path.of(runtime, "podman", "podman.sock"));
        }
        sockets.add(Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"));
        return sockets;
    }

    /** The first of {@code sockets} whose engine answers its ping; a {@code tcp://} DOCKER_HOST as it is. */
    static Optional<String> answering(List<Path> sockets) {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank() && !host.startsWith("unix://")) {
            return Optional.of(host);
        }
        return sockets.stream().filter(Files::exists).filter(DockerEngine::pings).findFirst().map(Path::toString);
    }

    private static boolean pings(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            // Whatever listens there may never answer: wait at most TIMEOUT for the status line.
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            ByteBuffer answer = ByteBuffer.allocate(64);
            long end = System.nanoTime() + TIMEOUT.toNanos();
            while (answer.position() < 12 && System.nanoTime() < end) {
                selector.select(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                selector.selectedKeys().clear();
                if (channel.read(answer) < 0) {
                    break;
                }
            }
            String status = new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII);
            return status.startsWith("HTTP/") && status.contains(" 200");
        } catch (IOException e) {
            return false; // nobody listening, or no permission: no engine for us
        }
    }
}
