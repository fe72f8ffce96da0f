package io.txprocessor.testing.netlab;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a lab of an earlier run left behind when its JVM died without running its shutdown hooks (SIGKILL, a crash):
 * namespaces, root-side veth devices and nft tables whose names carry a pid no process has any more.
 */
final class Leftovers {

    private static final Pattern NAMESPACE = Pattern.compile("^(nfl-(\\d+)-\\d+)\\b", Pattern.MULTILINE);
    private static final Pattern DEVICE = Pattern.compile("^\\d+: (nfl(\\d+)h\\d+)@", Pattern.MULTILINE);
    private static final Pattern TABLE = Pattern.compile("^table netdev (nfl_(\\d+)_\\d+)$", Pattern.MULTILINE);

    private Leftovers() {
    }

    /** Removes every leftover whose owner is gone; the labs of running processes (other builds) are left alone. */
    static void remove() {
        Matcher namespaces = NAMESPACE.matcher(Command.run(null, "ip", "netns", "list"));
        while (namespaces.find()) {
            if (gone(namespaces.group(2))) {
                Command.runQuietly("ip", "netns", "del", namespaces.group(1));
            }
        }
        Matcher devices = DEVICE.matcher(Command.run(null, "ip", "-o", "link", "show"));
        while (devices.find()) {
            if (gone(devices.group(2))) {
                Command.runQuietly("ip", "link", "del", devices.group(1));
            }
        }
        Matcher tables = TABLE.matcher(Command.run(null, "nft", "list", "tables"));
        while (tables.find()) {
            if (gone(tables.group(2))) {
                Command.runQuietly("nft", "delete", "table", "netdev", tables.group(1));
            }
        }
    }

    private static boolean gone(String pid) {
        return ProcessHandle.of(Long.parseLong(pid)).isEmpty();
    }
}
