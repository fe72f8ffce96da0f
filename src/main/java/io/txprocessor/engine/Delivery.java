package io.txprocessor.engine;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.Deadline;
import io.txprocessor.publish.StateEvent;

/**
 * Everything that differs between the two delivery modes, chosen once at start by {@link DeliveryChoice}: how a
 * record's outcome is published and when it counts as finished, how finished offsets are committed while running and
 * at the end of a drain, and what a loss does. Nothing else in the service asks which mode it runs in.
 *
 * <ul>
 * <li>{@link AtLeastOnce}: an outcome is finished once the broker acknowledged it; offsets are committed on the
 * consumer.</li>
 * <li>{@link ExactlyOnce}: outcomes and input offsets are committed together in the state producer's transactions;
 * the whole transaction lifecycle is that class's own code.</li>
 * </ul>
 */
public abstract sealed class Delivery permits AtLeastOnce, ExactlyOnce {

    /** Any thread: publishes the outcome the record carries now (a worker, once its handler returned). */
    abstract void publish(RecordWork work);

    /** Intake found the engine's window half full. */
    void windowHalfFull() {
    }

    /**
     * Publishes a drain's SUSPENDED event without blocking the caller: {@code send} itself blocks while the topic's
     * metadata is unknown. The future completes when the broker has it.
     */
    public abstract CompletableFuture<Void> publishSuspended(StateEvent event);

    /** True when the periodic commit goes on through a shutdown drain, until the drain's own final commit. */
    abstract boolean commitsWhileDraining();

    /**
     * On the polling thread, every {@code commit-interval}: commits what finished on the partitions the consumer
     * holds, or returns what commits it off the polling thread (null when nothing is left to do).
     */
    abstract Runnable commitPeriodically(Consumer<?, ?> consumer);

    /**
     * The commit at the end of a drain, by the deadline: exactly what finished in the scope. What of the scope is
     * unfinished after it is handed off (its next owner processes it).
     *
     * @param suspended the drain's SUSPENDED events, already sent
     */
    public abstract DrainCommit commitDrain(Predicate<TopicPartition> scope, List<StateEvent> suspended,
            Deadline deadline, OnConsumer consumer) throws InterruptedException;

    /**
     * Partitions lost: another member may own them already. Their records are handed off at once, nothing is
     * committed or published; returns the SUSPENDED events of what was handed off, for the log.
     */
    public abstract List<StateEvent> lost(Collection<TopicPartition> lost, String reason);

    /** True once nothing more can be committed (a fenced producer): the service is exiting. */
    public boolean stopped() {
        return false;
    }

    /** At shutdown, after the drain: stops the delivery's own threads. */
    abstract void close();
}
