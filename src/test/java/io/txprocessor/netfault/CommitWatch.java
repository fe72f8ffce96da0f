package io.txprocessor.netfault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.testing.Topics;

/**
 * Reads the group's committed offsets every 200 ms on a thread of its own, for as long as it is open, and keeps
 * every step back: a commit lower than one seen before on the same partition ("a commit backwards"), which would
 * have the next owner process finished work again.
 */
final class CommitWatch implements AutoCloseable {

    private final Topics topics;
    private final Map<TopicPartition, Long> highest = new ConcurrentHashMap<>();
    private final List<String> backwards = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean open = true;

    CommitWatch(Topics topics) {
        this.topics = topics;
        this.thread = new Thread(this::watch, "commit-watch");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void watch() {
        while (open) {
            try {
                for (Map.Entry<TopicPartition, OffsetAndMetadata> commit : topics.committed().entrySet()) {
                    long offset = commit.getValue().offset();
                    Long before = highest.put(commit.getKey(), offset);
                    if (before != null && offset < before) {
                        backwards.add(commit.getKey() + ": " + before + " -> " + offset);
                        highest.put(commit.getKey(), before);
                    }
                }
            } catch (RuntimeException e) {
                // a read that failed (the broker busy): the next one reads the same commits
            }
            try {
                Thread.sleep(Duration.ofMillis(200).toMillis()); // the sampling interval, not a wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The steps back seen so far, "partition: before -> after". */
    List<String> backwards() {
        return List.copyOf(backwards);
    }

    /** How many partitions had a commit read. */
    int partitionsSeen() {
        return highest.size();
    }

    @Override
    public void close() {
        open = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
