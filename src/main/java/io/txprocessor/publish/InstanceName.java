package io.txprocessor.publish;

import java.net.InetAddress;
import java.net.UnknownHostException;

import jakarta.inject.Singleton;

/**
 * The name this instance signs its state events with: the host name (the pod or
 * task name in a container).
 */
@Singleton
public class InstanceName {

    private final String value;

    public InstanceName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                name = "unknown";
            }
        }
        this.value = name;
    }

    public String value() {
        return value;
    }
}
