package io.txprocessor.testing.netlab;

import java.util.Map;

import io.txprocessor.testing.Ci;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;

/**
 * A local broker as a service in a {@link NetLab} namespace reaches it: only over the lab's link, through a
 * {@link DelayProxy} (no delay until one is set). Inside the namespace the broker's own address,
 * {@code 127.0.0.1:port}, leads over the link to the proxy, which forwards to the broker; so the service uses the
 * same bootstrap servers and the same advertised address as every other client, and the broker needs nothing of
 * its own (the shared one of a test run will do). The tests' own clients and a next owner started outside the
 * namespace reach the broker directly, untouched by any fault, so the test always reads the truth.
 */
public final class BrokerLink implements AutoCloseable {

    private final NetLab lab;
    private final DelayProxy proxy;

    private BrokerLink(NetLab lab, DelayProxy proxy) {
        this.lab = lab;
        this.proxy = proxy;
    }

    /** The lab and the proxy for {@code broker}, which must be a local one ({@code 127.0.0.1:port}). */
    public static BrokerLink open(KafkaBroker broker) {
        String bootstrap = broker.bootstrapServers();
        if (!bootstrap.matches("127\\.0\\.0\\.1:\\d+")) {
            throw Ci.unavailable("the network-fault drills need a local broker, not " + bootstrap
                    + " (unset KAFKA_BOOTSTRAP_SERVERS)");
        }
        int port = Integer.parseInt(bootstrap.substring(bootstrap.indexOf(':') + 1));
        NetLab lab = NetLab.create(port);
        try {
            return new BrokerLink(lab, DelayProxy.start(lab.brokerAddress(), port, "127.0.0.1", port));
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    public NetLab lab() {
        return lab;
    }

    public DelayProxy proxy() {
        return proxy;
    }

    /** The packaged service with {@code env}, started inside the namespace, once ready (read over the link). */
    public ServiceProcess startInside(String name, Map<String, String> env) {
        return ServiceProcess.start(name, env, lab.launcher(), lab.serviceAddress(), true);
    }

    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            lab.close();
        }
    }
}
