package io.txprocessor.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.txprocessor.testing.Waits;

/**
 * {@link Workers}: records handed over in runs are each run exactly once, a slow record holds no other record of its
 * run while a worker is idle, and a lane successor runs on the worker that made it startable.
 */
class WorkersTest {

    @Test
    void aHungRecordHoldsNoOtherRecordOfItsRunWhileWorkersAreIdle() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<RecordWork> run = records(0, 10);
        AtomicInteger finished = new AtomicInteger();
        Workers workers = new Workers(4, work -> {
            if (work == run.get(0)) {
                await(release);
            }
            finished.incrementAndGet();
            return null;
        });
        try {
            workers.dispatch(run);

            Waits.until("the nine records behind the hung one to finish", Duration.ofSeconds(30),
                    () -> finished.get() == 9);
            release.countDown();
            Waits.until("the hung record to finish once released", Duration.ofSeconds(30),
                    () -> finished.get() == 10);
        } finally {
            release.countDown();
            workers.shutdownNow();
        }
    }

    @Test
    void everyRecordOfRunsDispatchedFromSeveralThreadsRunsExactlyOnce() throws Exception {
        Map<RecordWork, AtomicInteger> runs = new ConcurrentHashMap<>();
        Workers workers = new Workers(8, work -> {
            runs.computeIfAbsent(work, key -> new AtomicInteger()).incrementAndGet();
            return null;
        });
        List<Thread> dispatchers = new ArrayList<>();
        try {
            for (int t = 0; t < 3; t++) {
                int thread = t;
                Thread dispatcher = new Thread(() -> {
                    for (int i = 0; i < 200; i++) {
                        workers.dispatch(records((thread * 200 + i) * 50L, 1 + i % 50));
                    }
                });
                dispatcher.start();
                dispatchers.add(dispatcher);
            }
            for (Thread dispatcher : dispatchers) {
                dispatcher.join(TimeUnit.SECONDS.toMillis(30));
            }
            int total = 3 * 4 * (1 + 50) * 50 / 2; // 1 + i % 50 records per run: four rounds of 1..50, three threads
            Waits.until("every dispatched record to run", Duration.ofSeconds(30), () -> runs.size() == total);
            assertThat(runs.values()).allSatisfy(count -> assertThat(count.get()).isOne());
        } finally {
            workers.shutdownNow();
        }
    }

    @Test
    void aLaneSuccessorRunsNextOnTheWorkerThatMadeItStartable() throws Exception {
        List<RecordWork> lane = records(0, 3);
        Map<RecordWork, Thread> ranOn = new ConcurrentHashMap<>();
        Workers workers = new Workers(4, work -> {
            ranOn.put(work, Thread.currentThread());
            int at = lane.indexOf(work);
            return at + 1 < lane.size() ? lane.get(at + 1) : null;
        });
        try {
            workers.dispatch(List.of(lane.get(0)));

            Waits.until("the lane to run", Duration.ofSeconds(30), () -> ranOn.size() == 3);
            assertThat(ranOn.get(lane.get(1))).isSameAs(ranOn.get(lane.get(0)));
            assertThat(ranOn.get(lane.get(2))).isSameAs(ranOn.get(lane.get(0)));
        } finally {
            workers.shutdownNow();
        }
    }

    private static List<RecordWork> records(long firstOffset, int count) {
        List<RecordWork> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new RecordWork(new ConsumerRecord<>("in", 0, firstOffset + i, null, new byte[0]), null, 1));
        }
        return records;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
