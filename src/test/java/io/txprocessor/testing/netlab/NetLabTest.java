package io.txprocessor.testing.netlab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lab's own claims, with a one-line echo server in place of the broker and {@code bash}'s {@code /dev/tcp} in
 * place of the service: the namespace reaches the "broker" only over the link and the proxy; each fault stops what
 * it says and heal undoes it; the proxy delays; close, and a later run after a crash, leave nothing behind.
 */
class NetLabTest {

    private ServerSocket echo;
    private NetLab lab;
    private DelayProxy proxy;

    @BeforeEach
    void startEchoServerAndLab() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(this::serveEcho, "echo");
        server.setDaemon(true);
        server.start();
        lab = NetLab.create(echo.getLocalPort());
        proxy = DelayProxy.start(lab.brokerAddress(), echo.getLocalPort(), "127.0.0.1", echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
            echo.close();
        }
    }

    private void serveEcho() {
        while (!echo.isClosed()) {
            try (Socket socket = echo.accept();
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream()) {
                byte[] line = new byte[5];
                int n = in.readNBytes(line, 0, line.length);
                out.write(line, 0, n);
            } catch (IOException e) {
                // closed by stop(), or a client that gave up: serve the next
            }
        }
    }

    /** "ping" sent from inside the namespace to 127.0.0.1:port, and what came back within 3 s (empty: nothing). */
    private String pingFromInside() {
        // timeout ends a connection attempt the fault holds up; its status is not the point, what came back is.
        return Command.run(null, "ip", "netns", "exec", lab.namespace(), "sh", "-c",
                "timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + echo.getLocalPort()
                        + " && printf \"ping\\n\" >&3 && head -c 5 <&3'; true")
                .strip();
    }

    @Test
    void theNamespaceReachesTheBrokerAddressOverTheLinkAndEachFaultStopsWhatItSays() {
        assertThat(pingFromInside()).as("healthy link").isEqualTo("ping");
        lab.cut();
        assertThat(pingFromInside()).as("link cut").isEmpty();
        assertThat(lab.droppedPackets()).as("packets the cut dropped").isPositive();
        lab.heal();
        assertThat(pingFromInside()).as("healed").isEqualTo("ping");
        lab.dropBrokerToService();
        assertThat(pingFromInside()).as("broker to service dropped: no answer arrives").isEmpty();
        assertThat(lab.rules()).as("only the broker's side filters").containsOnlyOnce("drop");
        lab.loss(5);
        assertThat(lab.rules()).as("both ends drop 5 %")
                .containsPattern("(?s)numgen random mod 100 < 5 counter .*numgen random mod 100 < 5 counter ");
        lab.heal();
        assertThat(lab.rules()).doesNotContain("drop");
    }

    @Test
    void theProxyHoldsEachChunkForItsOneWayDelay() {
        assertThat(pingFromInside()).isEqualTo("ping");
        proxy.delay(Duration.ofMillis(400));
        long start = System.nanoTime();
        assertThat(pingFromInside()).isEqualTo("ping");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a round trip of 2 × 400 ms")
                .isGreaterThanOrEqualTo(Duration.ofMillis(800));
        assertThat(proxy.heldChunks()).as("chunks held: at least the one each way").isGreaterThanOrEqualTo(2);
    }

    @Test
    void closeRemovesTheLabAndTheNextLabRemovesWhatADeadRunLeft() {
        String namespace = lab.namespace();
        String[] parts = namespace.split("-");
        lab.close();
        assertThat(Command.run(null, "ip", "netns", "list").lines().map(line -> line.split(" ")[0]))
                .doesNotContain(namespace);
        assertThat(Command.run(null, "ip", "-o", "link", "show")).doesNotContain(parts[0] + parts[1] + "h" + parts[2]
                + "@");
        assertThat(Command.run(null, "nft", "list", "tables")).doesNotContain("nfl_" + parts[1] + "_" + parts[2]
                + "\n");
        // A run that was killed: its names carry a pid no process has.
        long dead = deadPid();
        try {
            Command.run(null, "ip", "netns", "add", "nfl-" + dead + "-1");
            Command.run(null, "ip", "link", "add", "nfl" + dead + "h1", "type", "veth", "peer", "name",
                    "nfl" + dead + "s1");
            Command.run(null, "nft", "add", "table", "netdev", "nfl_" + dead + "_1");
            lab = NetLab.create(echo.getLocalPort());
            assertThat(Command.run(null, "ip", "netns", "list")).doesNotContain("nfl-" + dead + "-");
            assertThat(Command.run(null, "ip", "-o", "link", "show")).doesNotContain("nfl" + dead + "h");
            assertThat(Command.run(null, "nft", "list", "tables")).doesNotContain("nfl_" + dead + "_");
            assertThat(Command.run(null, "ip", "netns", "list")).contains(lab.namespace());
        } finally {
            // should the removal be broken, this test must not leave its fakes behind either
            Command.runQuietly("ip", "netns", "del", "nfl-" + dead + "-1");
            Command.runQuietly("ip", "link", "del", "nfl" + dead + "h1");
            Command.runQuietly("nft", "delete", "table", "netdev", "nfl_" + dead + "_1");
        }
    }

    private static long deadPid() {
        for (long pid = 4_000_000; pid > 3_000_000; pid--) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return pid;
            }
        }
        throw new UncheckedIOException(new IOException("no unused pid found"));
    }
}
