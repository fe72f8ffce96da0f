/**
 * Drains: what happens to the records in flight when partitions go away, read top to bottom.
 *
 * <h2>Shutdown (SIGTERM: docker stop, ECS StopTask, a Kubernetes pod deletion)</h2>
 * One {@link io.txprocessor.core.Deadline}, made when SIGTERM arrives, is passed through every step: SIGTERM +
 * {@code drain.grace-period} - {@code drain.exit-margin}. Call G the grace period, R the hand-off reserve, M the
 * exit margin.
 * <ol>
 * <li>{@link io.txprocessor.drain.ProcessExit} (a JVM shutdown hook) notes the time: the deadline starts.</li>
 * <li>{@link io.txprocessor.drain.ShutdownDrain} (Quarkus's shutdown thread, pre-shutdown phase, HTTP still
 * answering): readiness turns DOWN; no record is admitted or started any more (instant).</li>
 * <li>All partitions are paused (a task on the consumer's polling thread; at most 1 s).</li>
 * <li>{@link io.txprocessor.drain.DrainSequence} (same thread): records in flight get until G - M - R.</li>
 * <li>Handlers still running are cancelled and SUSPENDED is published for each (until G - M - R/2).</li>
 * <li>Outcomes still unacknowledged by the broker are abandoned and logged (same bound).</li>
 * <li>Offsets are committed for exactly what finished, on the polling thread, retried through a rebalance (until
 * G - M - R/4).</li>
 * <li>The drain report is logged; the exit status is 0 when everything finished, 1 when anything was handed
 * off.</li>
 * <li>The connector closes the consumer, which leaves the group; {@code ProcessExit} halts the JVM with the
 * status (at G - M whatever happens).</li>
 * </ol>
 *
 * <h2>Revocation (a rebalance moves partitions away)</h2>
 * {@link io.txprocessor.drain.RebalanceDrain} on the polling thread, inside {@code poll()}: steps 4 to 8 for the
 * revoked partitions only, with the deadline {@code drain.rebalance-timeout} (or the shutdown's, if earlier); then
 * the partitions are released. The partitions that stay keep flowing.
 *
 * <h2>Loss (the group moved on without this member: a session timeout)</h2>
 * {@code RebalanceDrain} on the polling thread, at once: running handlers are cancelled and SUSPENDED published
 * with reason {@code partitions-lost} (at most R), unacknowledged outcomes abandoned, nothing waited for, nothing
 * committed; another member may own the partitions already.
 *
 * <p>
 * At start, {@link io.txprocessor.drain.DrainStartup} checks that these bounds fit together.
 */
package io.txprocessor.drain;
