package io.txprocessor.testing.netlab;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.txprocessor.testing.Ci;
import io.txprocessor.testing.ProcessTools;

/**
 * A network namespace for the service, joined to the root namespace (where the broker listens) by a veth pair,
 * and the kernel's own packet filter ({@code nft}) on both ends of that link to break it: cut both ways, drop
 * only what the broker sends (a half-open connection), or drop a random share of packets.
 *
 * <p>
 * The filters sit on each end's ingress hook ({@code netdev} family, bound to the lab's own devices), so a
 * dropped packet vanishes on the wire: neither side's socket hears of it, as with a pulled cable, and nothing of
 * the machine's own firewall is touched. They match only the broker's port, so the test's
 * HTTP probes of the service (its health and metrics, over the same link) keep working through every fault.
 *
 * <p>
 * Names carry the owner's pid and a counter, addresses are a random /30 in 10.200.0.0–10.249.255.255 not in use
 * here, so two runs on one machine never collide. {@link #close()} removes everything (a JVM shutdown hook calls
 * it if a test does not), and {@link #create} first removes what an earlier run whose process is gone left behind.
 * Needs root, {@code ip} (iproute2) and {@code nft} (nftables); without them the test is skipped, or fails under
 * CI ({@link Ci}).
 */
public final class NetLab implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Pattern PACKETS = Pattern.compile("packets (\\d+)");

    private final String namespace;
    private final String hostDevice;
    private final String serviceDevice;
    private final String hostTable;
    private final String brokerAddress;
    private final String serviceAddress;
    private final int brokerPort;
    private final Thread reaper;
    private volatile boolean closed;

    private NetLab(int owner, int n, int subnet, int brokerPort) {
        this.namespace = "nfl-" + owner + "-" + n;
        this.hostDevice = "nfl" + owner + "h" + n;
        this.serviceDevice = "nfl" + owner + "s" + n;
        this.hostTable = "nfl_" + owner + "_" + n;
        String prefix = "10." + (subnet >> 16) + "." + ((subnet >> 8) & 0xff) + ".";
        this.brokerAddress = prefix + ((subnet & 0xff) + 1);
        this.serviceAddress = prefix + ((subnet & 0xff) + 2);
        this.brokerPort = brokerPort;
        this.reaper = new Thread(this::teardown, "netlab-reaper-" + namespace);
    }

    /**
     * Creates a namespace and its link. Inside it, connections to {@code 127.0.0.1:brokerPort} (the address a
     * local broker advertises) are sent over the link to {@link #brokerAddress()} on the same port, where
     * something must forward them to the broker (a {@link DelayProxy}, see {@link BrokerLink}); the faults act on
     * that traffic.
     */
    public static NetLab create(int brokerPort) {
        requirePrerequisites();
        Leftovers.remove();
        int owner = (int) ProcessHandle.current().pid();
        NetLab lab = new NetLab(owner, COUNTER.incrementAndGet(), freeSubnet(), brokerPort);
        Runtime.getRuntime().addShutdownHook(lab.reaper);
        try {
            lab.build();
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private static void requirePrerequisites() {
        Ci.requireOnPath("apt-get install -y iproute2", "ip");
        Ci.requireOnPath("apt-get install -y nftables", "nft");
        if (!Command.run(null, "id", "-u").strip().equals("0")) {
            throw Ci.unavailable("network namespaces and nft need root");
        }
    }

    /** A random /30 (its first address, as 24 bits after "10.") none of whose addresses is on this machine. */
    private static int freeSubnet() {
        String inUse = Command.run(null, "ip", "-o", "-4", "addr", "show");
        for (int attempt = 0; attempt < 100; attempt++) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int subnet = ((200 + random.nextInt(50)) << 16) | (random.nextInt(256) << 8) | (random.nextInt(64) * 4);
            String prefix = "inet 10." + (subnet >> 16) + "." + ((subnet >> 8) & 0xff) + ".";
            boolean taken = false;
            for (int host = 0; host < 4; host++) {
                taken |= inUse.contains(prefix + ((subnet & 0xff) + host) + "/");
            }
            if (!taken) {
                return subnet;
            }
        }
        throw new IllegalStateException("no free /30 found in 10.200.0.0/16-10.249.0.0/16");
    }

    private void build() {
        Command.run(null, "ip", "netns", "add", namespace);
        Command.run(null, "ip", "link", "add", hostDevice, "type", "veth", "peer", "name", serviceDevice, "netns",
                namespace);
        Command.run(null, "ip", "addr", "add", brokerAddress + "/30", "dev", hostDevice);
        Command.run(null, "ip", "link", "set", hostDevice, "up");
        Command.run(null, "ip", "-n", namespace, "addr", "add", serviceAddress + "/30", "dev", serviceDevice);
        Command.run(null, "ip", "-n", namespace, "link", "set", serviceDevice, "up");
        Command.run(null, "ip", "-n", namespace, "link", "set", "lo", "up");
        Command.run(baseChain(hostTable, hostDevice), "nft", "-f", "-");
        Command.run(baseChain("netfault", serviceDevice), "ip", "netns", "exec", namespace, "nft", "-f", "-");
        // The broker's loopback address, as it advertises it, led over the link: a connection from 127.0.0.1 may
        // leave the namespace's loopback only with route_localnet, and takes the link's address on its way out.
        Command.run(null, "ip", "netns", "exec", namespace, "sysctl", "-q", "-w",
                "net.ipv4.conf.all.route_localnet=1");
        Command.run("table ip lab {\n  chain out { type nat hook output priority -100; ip daddr 127.0.0.1 tcp dport "
                + brokerPort + " dnat to " + brokerAddress + ":" + brokerPort + "; }\n"
                + "  chain post { type nat hook postrouting priority 100; oifname \"" + serviceDevice
                + "\" masquerade; }\n}\n", "ip", "netns", "exec", namespace, "nft", "-f", "-");
    }

    private static String baseChain(String table, String device) {
        return "table netdev " + table + " {\n  chain wire { type filter hook ingress device \"" + device
                + "\" priority 0; policy accept; }\n}\n";
    }

    /** The broker's side of the link: where the broker listens for the service. */
    public String brokerAddress() {
        return brokerAddress;
    }

    /** The service's side of the link: where the test reaches the service's HTTP port. */
    public String serviceAddress() {
        return serviceAddress;
    }

    public String namespace() {
        return namespace;
    }

    /**
     * What goes before the jar's path to run the service in the namespace: {@code ip netns exec} execs the JVM in
     * place, so the process the test holds is the service's own, and SIGTERM reaches it.
     */
    public List<String> launcher() {
        return List.of("ip", "netns", "exec", namespace, "java", "-jar");
    }

    /** Nothing passes between the service and the broker's port, either way. */
    public void cut() {
        apply("", "");
    }

    /** What the broker sends never arrives; what the service sends does: its connections stay open, half dead. */
    public void dropBrokerToService() {
        apply(null, "");
    }

    /** Each packet between the service and the broker's port, either way, is dropped with this probability. */
    public void loss(int percent) {
        if (percent < 1 || percent > 99) {
            throw new IllegalArgumentException("a loss of 1-99 %, not " + percent);
        }
        String random = "numgen random mod 100 < " + percent + " ";
        apply(random, random);
    }

    /** Every packet passes again. */
    public void heal() {
        apply(null, null);
    }

    /**
     * Replaces both ends' rules in one nft transaction each: {@code toBroker} filters what the service sends (on
     * the broker's end), {@code toService} what the broker sends (on the service's end); null lets all pass, else
     * it is the condition before {@code drop} ("" drops all).
     */
    private void apply(String toBroker, String toService) {
        StringBuilder host = new StringBuilder("flush chain netdev " + hostTable + " wire\n");
        if (toBroker != null) {
            host.append("add rule netdev ").append(hostTable).append(" wire ip saddr ").append(serviceAddress)
                    .append(" ip daddr ").append(brokerAddress).append(" tcp dport ").append(brokerPort).append(" ")
                    .append(toBroker).append("counter drop\n");
        }
        StringBuilder service = new StringBuilder("flush chain netdev netfault wire\n");
        if (toService != null) {
            service.append("add rule netdev netfault wire ip saddr ").append(brokerAddress).append(" ip daddr ")
                    .append(serviceAddress).append(" tcp sport ").append(brokerPort).append(" ").append(toService)
                    .append("counter drop\n");
        }
        Command.run(host.toString(), "nft", "-f", "-");
        Command.run(service.toString(), "ip", "netns", "exec", namespace, "nft", "-f", "-");
    }

    /** Packets the rules in force have dropped so far, both ends: the proof that a fault acted at all. */
    public long droppedPackets() {
        Matcher counters = PACKETS.matcher(rules());
        long dropped = 0;
        while (counters.find()) {
            dropped += Long.parseLong(counters.group(1));
        }
        return dropped;
    }

    /** The rules in force on both ends, for a failure message. */
    public String rules() {
        return Command.run(null, "nft", "list", "table", "netdev", hostTable) + Command.run(null, "ip", "netns",
                "exec", namespace, "nft", "list", "table", "netdev", "netfault");
    }

    @Override
    public void close() {
        teardown();
        ProcessTools.removeShutdownHook(reaper);
    }

    private synchronized void teardown() {
        if (closed) {
            return;
        }
        closed = true;
        // Deleting the namespace ends its sockets and its end of the veth pair, which takes the other end along.
        Command.runQuietly("nft", "delete", "table", "netdev", hostTable);
        Command.runQuietly("ip", "netns", "del", namespace);
        Command.runQuietly("ip", "link", "del", hostDevice);
    }
}
