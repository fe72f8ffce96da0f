package io.txprocessor.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The records waiting per lane (an account, a partition), in arrival order: a lane runs one handler at a time,
 * its records in offset order. The head of a lane is the record that runs (or ran, while its handler has not
 * returned) or is next to run. Not thread-safe: owned by the {@link EngineCore}.
 */
final class Lanes<R extends TrackedRecord> {

    private final Map<String, ArrayDeque<R>> lanes = new HashMap<>();

    /** Adds a record to the end of its lane; true when it is at the head, so it may start now. */
    boolean add(R record) {
        ArrayDeque<R> lane = lanes.computeIfAbsent(record.lane(), key -> new ArrayDeque<>());
        lane.addLast(record);
        return lane.size() == 1;
    }

    /** True when the record may start: it has no lane, or it heads its lane and nothing runs there. */
    boolean mayStart(R record) {
        if (record.lane() == null) {
            return true;
        }
        ArrayDeque<R> lane = lanes.get(record.lane());
        return lane != null && lane.peekFirst() == record && !record.holdsLane();
    }

    /**
     * Clears the records at the head of the lane that are done with it (neither queued nor holding it) and returns
     * the record to start next, or null when the lane is empty or still taken.
     */
    R next(String key) {
        ArrayDeque<R> lane = lanes.get(key);
        if (lane == null) {
            return null;
        }
        while (!lane.isEmpty() && lane.peekFirst().phase() != Phase.QUEUED && !lane.peekFirst().holdsLane()) {
            lane.pollFirst();
        }
        if (lane.isEmpty()) {
            lanes.remove(key);
            return null;
        }
        R head = lane.peekFirst();
        return head.phase() == Phase.QUEUED ? head : null;
    }

    /** {@link #next(String)} of every lane: after records left several lanes at once. */
    List<R> nextOfAll() {
        List<R> next = new ArrayList<>();
        for (String key : new ArrayList<>(lanes.keySet())) {
            R record = next(key);
            if (record != null) {
                next.add(record);
            }
        }
        return next;
    }

    /** How many records of the lane have a handler running: never more than one. For tests and assertions. */
    int running(String key) {
        ArrayDeque<R> lane = lanes.get(key);
        return lane == null ? 0 : (int) lane.stream().filter(TrackedRecord::holdsLane).count();
    }

    Iterable<String> keys() {
        return lanes.keySet();
    }
}
