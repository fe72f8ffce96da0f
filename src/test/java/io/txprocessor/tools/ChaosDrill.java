package io.txprocessor.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.WakeupException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * {@code ./mvnw -B -Pchaos verify}: a seeded chaos drill that audits every transaction id. A real broker, N
 * instances of the packaged service, a steady stream of transactions, and meanwhile SIGTERMs and SIGKILLs to random
 * instances at random moments, each followed by a replacement, so that N keep running. At the end every produced id
 * is looked up on the state topic.
 *
 * <p>
 * The schedule (when, which instance slot, which signal) is a pure function of the seed and the settings, printed at
 * the start together with the command that reproduces it. Settings are system properties ({@code -Dchaos.seed=42},
 * see {@link Settings#from(Map)}). The drill fails (non-zero exit) unless: no id is lost; every SIGTERM ends in an
 * exit before the grace period; every id completed more than once was first completed by an instance that was
 * SIGKILLed later (the only case where at-least-once may repeat a completion: its last commit was up to a commit
 * interval behind).
 *
 * <p>
 * With {@code -Dchaos.delivery=exactly-once} every instance runs with {@code TRANSACTIONS_DELIVERY=exactly-once}, the
 * drill reads the state and dead-letter topics {@code read_committed} (as that mode's readers must), and the last
 * criterion becomes: no id completed more than once, SIGKILL or not (a killed instance's open transaction is aborted,
 * never visible).
 *
 * <p>
 * Threads: the caller's thread runs the schedule and starts instances; one thread produces; one tails the state
 * topic for progress; one per stopped instance waits for its exit (and, like the platform, SIGKILLs it when the
 * grace period is over).
 */
public final class ChaosDrill {

    private static final PrintStream OUT = System.out;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An instance has this long to answer ready; JVM starts are slow on a busy two-core machine. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** A SIGKILLed process cannot resist; this only bounds the wait for the OS to reap it. */
    private static final Duration REAP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);

    private final Settings settings;
    private final KafkaBroker broker;
    /** Added to every instance's environment, after the drill's own settings (so it may override them). */
    private final Map<String, String> extraEnv;
    private final List<Planned> schedule;
    private Topics topics;
    /** The instance running in each slot; only the caller's thread reads and writes it. */
    private final ServiceProcess[] slots;
    /** Every process started, so that all of them are stopped whatever happens. */
    private final List<ServiceProcess> started = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<Stop>> stops = new CopyOnWriteArrayList<>();
    /** Instance name to the moment the drill (or the grace period) SIGKILLed it. */
    private final Map<String, Instant> killedAt = new ConcurrentHashMap<>();
    /** Acknowledged ids to where they landed on the input topic ({@code partition/offset}). */
    private final Map<String, String> produced = new ConcurrentHashMap<>();
    private final AtomicInteger produceErrors = new AtomicInteger();
    private final AtomicReference<Exception> firstProduceError = new AtomicReference<>();
    private int instancesStarted;
    private long startNanos;

    private ChaosDrill(Settings settings, KafkaBroker broker, Map<String, String> extraEnv) {
        this.settings = settings;
        this.broker = broker;
        this.extraEnv = Map.copyOf(extraEnv);
        this.schedule = schedule(settings);
        this.slots = new ServiceProcess[settings.instances()];
    }

    /** The long drill, with its own broker; settings from system properties. */
    public static void main(String[] args) throws Exception {
        Settings settings = Settings.fromSystemProperties();
        Result result;
        OUT.println("== Starting a real Kafka broker (KRaft, its own JVM) ...");
        try (KafkaBroker broker = KafkaBroker.start()) {
            result = run(settings, broker);
        }
        if (!result.passed()) {
            throw new IllegalStateException("the chaos drill failed (seed " + settings.seed() + "): "
                    + String.join("; ", result.failures()));
        }
    }

    /**
     * Runs the drill on the given broker (it is not stopped here) and returns what happened; the caller decides what
     * a failure means ({@link Result#passed()}). Every service instance it starts is stopped before it returns.
     */
    public static Result run(Settings settings, KafkaBroker broker) throws InterruptedException {
        return run(settings, broker, Map.of());
    }

    /**
     * As {@link #run(Settings, KafkaBroker)}, with {@code extraEnv} added to the environment of every instance it
     * starts, after the drill's own settings: another handler and what it needs (a database), for example.
     */
    public static Result run(Settings settings, KafkaBroker broker, Map<String, String> extraEnv)
            throws InterruptedException {
        return new ChaosDrill(settings, broker, extraEnv).execute();
    }

    // ---- the schedule: a pure function of the seed -------------------------------------------------------------

    /**
     * The signals to send, in order: their moments are uniform over the middle 90% of the production time, the
     * signal kinds shuffled, the slot uniform; all drawn from one {@link Random} seeded with the seed, in a fixed
     * order.
     */
    public static List<Planned> schedule(Settings settings) {
        Random random = new Random(settings.seed());
        List<Signal> signals = new ArrayList<>();
        signals.addAll(Collections.nCopies(settings.sigterms(), Signal.SIGTERM));
        signals.addAll(Collections.nCopies(settings.sigkills(), Signal.SIGKILL));
        Collections.shuffle(signals, random);
        long window = settings.production().toMillis();
        List<Long> moments = new ArrayList<>();
        for (int i = 0; i < signals.size(); i++) {
            moments.add(window / 20 + (long) (random.nextDouble() * window * 0.9));
        }
        Collections.sort(moments);
        List<Planned> planned = new ArrayList<>();
        for (int i = 0; i < signals.size(); i++) {
            planned.add(new Planned(i + 1, Duration.ofMillis(moments.get(i)), signals.get(i),
                    random.nextInt(settings.instances())));
        }
        return List.copyOf(planned);
    }

    // ---- the run ------------------------------------------------------------------------------------------------

    private Result execute() throws InterruptedException {
        printPlan();
        ExecutorService background = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "chaos-background");
            thread.setDaemon(true); // never holds the JVM (or Maven's exec:java) open
            return thread;
        });
        StateTail tail = null;
        try {
            topics = new Topics(broker, settings.name(), settings.partitions());
            OUT.println("   bootstrap " + broker.bootstrapServers() + ", input topic " + topics.input + ", states "
                    + topics.states + ", dead letters " + topics.deadLetters);
            tail = new StateTail(topics, settings.isolation());

            OUT.printf("== Starting %d instances%n", settings.instances());
            for (int slot = 0; slot < slots.length; slot++) {
                slots[slot] = launch();
                OUT.printf("   slot %d: %s ready%n", slot, slots[slot].name());
            }

            startNanos = System.nanoTime();
            OUT.printf("== Producing %d transactions at %.1f/s (about %d s); chaos follows the schedule%n",
                    settings.transactions(), settings.rate(), settings.production().toSeconds());
            Future<?> production = background.submit(this::produce);
            for (Planned planned : schedule) {
                waitUntil(startNanos + planned.at().toNanos());
                fire(planned, tail);
            }
            awaitProduction(production);

            OUT.printf("== [%s] All %d acknowledged; waiting (at most %d s) for every id to be COMPLETED or FAILED%n",
                    elapsed(), produced.size(), settings.finishTimeout().toSeconds());
            boolean allFinished = awaitFinished(tail);
            OUT.printf("== [%s] %s; SIGTERM to the last %d instances%n", elapsed(),
                    allFinished ? "all finished" : "NOT all finished: " + unfinished(tail) + " ids left",
                    slots.length);
            for (int slot = 0; slot < slots.length; slot++) {
                ServiceProcess last = slots[slot];
                slots[slot] = null;
                sigterm(0, last);
            }
            List<Stop> done = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (CompletableFuture<Stop> stop : stops) {
                try {
                    done.add(stop.get(settings.gracePeriod().plus(REAP_TIMEOUT).plusSeconds(60).toMillis(),
                            TimeUnit.MILLISECONDS));
                } catch (ExecutionException | TimeoutException e) {
                    errors.add("an instance's exit could not be observed: " + e);
                }
            }
            return audit(done, errors);
        } finally {
            // Whatever happened above: no service instance outlives the drill.
            for (ServiceProcess process : started) {
                process.close();
            }
            if (tail != null) {
                tail.close();
            }
            background.shutdownNow();
        }
    }

    private void printPlan() {
        OUT.printf("== Chaos drill, seed %d, %s%n", settings.seed(), settings.delivery());
        OUT.println("   reproduce: ./mvnw -B -Pchaos verify " + settings.commandLine());
        OUT.printf("   %d instances, %d transactions over %d accounts at %.1f/s, %d partitions; work %d ms + 0..%d ms,"
                + " grace period %d ms%n", settings.instances(), settings.transactions(), settings.accounts(),
                settings.rate(), settings.partitions(), settings.processingTime().toMillis(),
                settings.jitter().toMillis(), settings.gracePeriod().toMillis());
        OUT.printf("== Schedule (seed %d): %d signals; moments from the start of production%n", settings.seed(),
                schedule.size());
        for (Planned planned : schedule) {
            OUT.printf("   #%02d  t=%7.1f s  %-7s  slot %d%n", planned.number(), planned.at().toMillis() / 1000.0,
                    planned.signal(), planned.slot());
        }
    }

    /** Starts the next instance and waits until it is ready; it is registered first so it is stopped in any case. */
    private ServiceProcess launch() {
        String name = String.format("%s-%02d", settings.name(), ++instancesStarted);
        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.put("HOSTNAME", name);
        env.put("TRANSACTIONS_PROCESSING_TIME", settings.processingTime().toMillis() + "ms");
        env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", settings.jitter().toMillis() + "ms");
        env.put("DRAIN_GRACE_PERIOD", settings.gracePeriod().toMillis() + "ms");
        env.put("TRANSACTIONS_DELIVERY", settings.delivery());
        env.putAll(extraEnv);
        ServiceProcess process = ServiceProcess.start(name, env, List.of("java", "-jar"), false);
        started.add(process);
        process.awaitHealth("/q/health/ready", 200, READY_TIMEOUT);
        return process;
    }

    /** The producer thread: transaction i is sent at start + i / rate, so the load is steady whatever else runs. */
    private void produce() {
        Random accounts = new Random(settings.seed() ^ 0x5DEECE66DL); // content fixed by the seed, apart from the schedule
        double nanosPerRecord = 1e9 / settings.rate();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int i = 0; i < settings.transactions(); i++) {
                waitUntil(startNanos + (long) (i * nanosPerRecord));
                String id = Topics.id(i);
                String account = "acc-" + accounts.nextInt(settings.accounts());
                producer.send(new ProducerRecord<>(topics.input, utf8(account), utf8(Topics.transaction(id, account))),
                        (metadata, error) -> {
                            if (error == null) {
                                produced.put(id, metadata.partition() + "/" + metadata.offset());
                            } else {
                                produceErrors.incrementAndGet();
                                firstProduceError.compareAndSet(null, error);
                            }
                        });
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the drill is being torn down
        }
    }

    private void awaitProduction(Future<?> production) throws InterruptedException {
        // Generous: the producer falls behind its schedule when the machine is busy, never ahead of it.
        long timeout = settings.production().multipliedBy(3).plusMinutes(5).toMillis();
        try {
            production.get(timeout, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the producer failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the producer did not finish within " + timeout + " ms", e);
        }
    }

    /** Sends the planned signal to the slot's instance, then starts its replacement. */
    private void fire(Planned planned, StateTail tail) {
        ServiceProcess victim = slots[planned.slot()];
        OUT.printf("-- [%s] #%02d %s to slot %d (%s), planned at %.1f s; produced %d, finished %d%n", elapsed(),
                planned.number(), planned.signal(), planned.slot(), victim.name(), planned.at().toMillis() / 1000.0,
                produced.size(), tail.finished());
        if (planned.signal() == Signal.SIGTERM) {
            sigterm(planned.number(), victim);
        } else {
            sigkill(planned.number(), victim);
        }
        // The platform replaces a stopped instance at once, while the old one may still be draining.
        slots[planned.slot()] = launch();
        OUT.printf("   [%s] slot %d: %s ready%n", elapsed(), planned.slot(), slots[planned.slot()].name());
    }

    private void sigterm(int event, ServiceProcess process) {
        Instant at = Instant.now();
        long sentNanos = System.nanoTime();
        process.sigterm();
        stops.add(CompletableFuture.supplyAsync(() -> awaitSigterm(event, process, at, sentNanos), daemonThread()));
    }

    private void sigkill(int event, ServiceProcess process) {
        Instant at = Instant.now();
        killedAt.put(process.name(), at);
        process.sigkill();
        stops.add(CompletableFuture.supplyAsync(() -> {
            int status = process.awaitExit(REAP_TIMEOUT);
            OUT.printf("   [%s] %s SIGKILLed, exit status %d%n", elapsed(), process.name(), status);
            return new Stop(event, process.name(), Signal.SIGKILL, at, status, false, -1, null, null, null);
        }, daemonThread()));
    }

    /**
     * Waits for a SIGTERMed instance to exit, at most until its grace period is over; then, like the platform, sends
     * SIGKILL (and the drill fails on it).
     */
    private Stop awaitSigterm(int event, ServiceProcess process, Instant at, long sentNanos) {
        Duration left = settings.gracePeriod().minusNanos(System.nanoTime() - sentNanos);
        boolean killedAtGrace = false;
        int status;
        try {
            status = process.awaitExit(left.isNegative() ? Duration.ZERO : left);
        } catch (AssertionError stillRunning) {
            if (Thread.currentThread().isInterrupted()) {
                throw stillRunning; // the drill is being torn down, not a late drain
            }
            killedAtGrace = true;
            killedAt.put(process.name(), Instant.now());
            process.sigkill();
            status = process.awaitExit(REAP_TIMEOUT);
        }
        long toExit = process.sigtermToExit().toMillis();
        Optional<JsonNode> report = process.shutdownReport();
        Long drainMs = report.map(r -> r.path("durationMs").asLong()).orElse(null);
        Integer reported = report.map(r -> r.path("exitStatus")).filter(JsonNode::isInt).map(JsonNode::asInt)
                .orElse(null);
        String commitError = report.map(r -> r.path("commitError")).filter(JsonNode::isTextual)
                .map(JsonNode::asText).orElse(null);
        OUT.printf("   [%s] %s%s exited %d, %d ms after SIGTERM; drain %s ms%s%s%n", elapsed(), process.name(),
                event == 0 ? " (final)" : "", status, toExit, drainMs == null ? "?" : drainMs,
                killedAtGrace ? "; SIGKILLed at the grace period" : report.isEmpty() ? "; NO drain report" : "",
                commitError == null ? "" : "; commit error: " + commitError);
        return new Stop(event, process.name(), Signal.SIGTERM, at, status, killedAtGrace, toExit, drainMs, reported,
                commitError);
    }

    private static Executor daemonThread() {
        return runnable -> {
            Thread thread = new Thread(runnable, "chaos-exit-watch");
            thread.setDaemon(true);
            thread.start();
        };
    }

    private boolean awaitFinished(StateTail tail) throws InterruptedException {
        long end = System.nanoTime() + settings.finishTimeout().toNanos();
        long nextReport = System.nanoTime() + PROGRESS_EVERY.toNanos();
        while (unfinished(tail) > 0) {
            tail.rethrow();
            if (System.nanoTime() > end) {
                return false;
            }
            if (System.nanoTime() > nextReport) {
                OUT.printf("   [%s] %d of %d finished%n", elapsed(), settings.transactions() - unfinished(tail),
                        settings.transactions());
                nextReport += PROGRESS_EVERY.toNanos();
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling interval of the condition above
        }
        return true;
    }

    private int unfinished(StateTail tail) {
        return (int) produced.keySet().stream().filter(id -> !tail.isFinished(id)).count();
    }

    // ---- the audit ----------------------------------------------------------------------------------------------

    private Result audit(List<Stop> done, List<String> errors) {
        // Exactly-once: what read_committed readers see; at-least-once writes no transactions, both views are one.
        List<JsonNode> events = topics.stateEvents(settings.isolation());
        Audit audit = Audit.of(produced.keySet(), events,
                topics.readAll(topics.deadLetters, settings.isolation()).size());
        List<String> failures = new ArrayList<>(errors);
        if (produceErrors.get() > 0) {
            failures.add(
                    produceErrors.get() + " transactions could not be produced, first: " + firstProduceError.get());
        }

        // Criterion 1: nothing lost.
        Map<String, List<JsonNode>> byId = events.stream()
                .collect(Collectors.groupingBy(e -> e.path("id").asText(), LinkedHashMap::new, Collectors.toList()));
        List<String> lost = new ArrayList<>();
        for (String id : new TreeSet<>(audit.lost())) {
            lost.add(id + " (input " + produced.get(id) + ") events: " + brief(byId.getOrDefault(id, List.of())));
        }

        // Criterion 2: every SIGTERM ended in an exit before the grace period.
        long grace = settings.gracePeriod().toMillis();
        List<Stop> sigterms = done.stream().filter(s -> s.signal() == Signal.SIGTERM).toList();
        List<String> lateDrains = new ArrayList<>();
        for (Stop stop : sigterms) {
            if (stop.killedAtGrace() || stop.signalToExitMs() >= grace) {
                lateDrains.add(stop.instance() + ": " + (stop.killedAtGrace()
                        ? "SIGKILLed at the grace period"
                        : "exited " + stop.exitStatus() + " after " + stop.signalToExitMs() + " ms"));
            }
        }

        // Criterion 3: a repeated completion is explained only by a SIGKILL of the instance that completed first; in
        // exactly-once mode by nothing.
        List<String> unexplained = new ArrayList<>();
        Map<String, Map<Integer, Integer>> unexplainedByInstance = new TreeMap<>();
        long longestKillGap = 0;
        for (String id : new TreeSet<>(audit.completedMoreThanOnce())) {
            List<JsonNode> completions = byId.get(id).stream()
                    .filter(e -> "COMPLETED".equals(e.path("state").asText()))
                    .toList();
            JsonNode first = completions.get(0); // one key, one partition: topic order is publication order
            String instance = first.path("instance").asText();
            Instant kill = killedAt.get(instance);
            Instant completedAt = instant(first.path("at"));
            if (settings.exactlyOnce() || kill == null || completedAt != null && !completedAt.isBefore(kill)) {
                unexplained.add(id + " (input " + produced.get(id) + ") first completed by " + instance
                        + (kill == null ? ", never SIGKILLed" : ", SIGKILLed at " + kill)
                        + (kill == null || settings.exactlyOnce() ? "" : " before that")
                        + "; completions: " + brief(completions));
                unexplainedByInstance.computeIfAbsent(instance, key -> new TreeMap<>())
                        .merge(first.path("partition").asInt(), 1, Integer::sum);
            } else if (completedAt != null) {
                longestKillGap = Math.max(longestKillGap, Duration.between(completedAt, kill).toMillis());
            }
        }

        Map<String, Object> rows = new LinkedHashMap<>(audit.rows());
        long longestDrain = sigterms.stream().filter(s -> s.drainMs() != null).mapToLong(Stop::drainMs).max()
                .orElse(-1);
        long longestExit = sigterms.stream().mapToLong(Stop::signalToExitMs).max().orElse(-1);
        List<Stop> chaos = done.stream().filter(s -> s.event() > 0).toList();
        List<Stop> last = done.stream().filter(s -> s.event() == 0).toList();
        rows.put("longest drain (ms)", longestDrain);
        rows.put("longest SIGTERM-to-exit (ms)", longestExit);
        rows.put("grace period (ms)", grace);
        rows.put("exit statuses", exitStatuses(chaos));
        rows.put("final exit statuses", exitStatuses(last));
        rows.put("SIGTERMs", chaos.stream().filter(s -> s.signal() == Signal.SIGTERM).count());
        rows.put("final SIGTERMs", last.size());
        rows.put("SIGKILLs", chaos.stream().filter(s -> s.signal() == Signal.SIGKILL).count());
        rows.put("SIGTERMs without a drain report", sigterms.stream().filter(s -> s.drainMs() == null).count());
        rows.put("shutdown drains with a commit error", sigterms.stream().filter(s -> s.commitError() != null).count());
        if (settings.exactlyOnce()) {
            // Not a criterion: the outcomes of aborted transactions (killed instances), which readers never see.
            rows.put("completed more than once, read_uncommitted",
                    Audit.of(produced.keySet(), topics.stateEvents(), 0).completedMoreThanOnce().size());
        }
        rows.put("delivery", settings.delivery());
        rows.put("seed", settings.seed());
        String table = Audit.table(rows);

        OUT.printf("== [%s] What happened to every transaction (seed %d)%n", elapsed(), settings.seed());
        OUT.print(table);
        OUT.println("== Pass criteria");
        criterion(failures, lost.isEmpty(), "lost = 0", lost.size() + " lost", lost);
        criterion(failures, lateDrains.isEmpty(),
                "every SIGTERM ended (exit) before its grace period of " + grace + " ms (" + sigterms.size()
                        + " SIGTERMs, longest " + longestExit + " ms)",
                lateDrains.size() + " drains did not end in time", lateDrains);
        List<String> evidence = new ArrayList<>();
        unexplainedByInstance.forEach((instance, partitions) -> evidence.add("first completed by " + instance + " ("
                + describe(done, instance) + "): " + partitions.values().stream().mapToInt(i -> i).sum()
                + " ids, per input partition " + partitions));
        evidence.addAll(unexplained);
        if (settings.exactlyOnce()) {
            criterion(failures, unexplained.isEmpty(),
                    "completed more than once = 0 (exactly-once, read_committed: no SIGKILL excuses a repeat)",
                    unexplained.size() + " ids completed more than once", evidence);
        } else {
            criterion(failures, unexplained.isEmpty(),
                    "every id completed more than once was first completed by an instance SIGKILLed later ("
                            + audit.completedMoreThanOnce().size() + " such ids; first completion at most "
                            + longestKillGap + " ms before the kill)",
                    unexplained.size() + " repeated completions not explained by a SIGKILL", evidence);
        }
        for (String error : errors) {
            OUT.println("   [FAIL] " + error);
        }
        OUT.println("   service logs: target/service-logs/" + settings.name() + "-NN.log");
        OUT.println("   reproduce: ./mvnw -B -Pchaos verify " + settings.commandLine());
        OUT.println(failures.isEmpty() ? "== PASSED" : "== FAILED: " + String.join("; ", failures));
        Set<String> completedIds = new TreeSet<>();
        byId.forEach((id, idEvents) -> {
            if (idEvents.stream().anyMatch(e -> "COMPLETED".equals(e.path("state").asText()))) {
                completedIds.add(id);
            }
        });
        return new Result(settings, schedule, audit, Collections.unmodifiableSet(completedIds), List.copyOf(done),
                List.copyOf(lost), List.copyOf(lateDrains), List.copyOf(unexplained), List.copyOf(failures), table);
    }

    /** How the drill stopped an instance, for the evidence of a failed criterion. */
    private static String describe(List<Stop> done, String instance) {
        return done.stream().filter(s -> s.instance().equals(instance)).findFirst()
                .map(s -> (s.event() == 0 ? "final " + s.signal() : s.signal() + " #" + s.event()) + " at "
                        + s.signalledAt() + ", exit " + s.exitStatus()
                        + (s.commitError() == null ? "" : ", drain commit error: " + s.commitError()))
                .orElse("not stopped by the drill");
    }

    /** State events as {@code STATE by instance at time}, one after the other. */
    private static String brief(List<JsonNode> events) {
        return events.stream()
                .map(e -> e.path("state").asText() + " by " + e.path("instance").asText() + " at "
                        + e.path("at").asText() + " (input " + e.path("partition").asText() + "/"
                        + e.path("offset").asText() + ")")
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private static void criterion(List<String> failures, boolean passed, String what, String failure,
            List<String> evidence) {
        OUT.println("   [" + (passed ? "PASS" : "FAIL") + "] " + what);
        if (!passed) {
            failures.add(failure);
            evidence.forEach(line -> OUT.println("          " + line));
        }
    }

    /** Like {@code 0: 17, 1: 3, killed: 5}. */
    private static String exitStatuses(List<Stop> stops) {
        Map<Integer, Integer> statuses = new TreeMap<>();
        int killed = 0;
        int killedAtGrace = 0;
        for (Stop stop : stops) {
            if (stop.signal() == Signal.SIGKILL) {
                killed++;
            } else if (stop.killedAtGrace()) {
                killedAtGrace++;
            } else {
                statuses.merge(stop.exitStatus(), 1, Integer::sum);
            }
        }
        List<String> parts = new ArrayList<>();
        statuses.forEach((status, count) -> parts.add(status + ": " + count));
        if (killedAtGrace > 0) {
            parts.add("killed at grace: " + killedAtGrace);
        }
        if (killed > 0) {
            parts.add("killed: " + killed);
        }
        return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    private static Instant instant(JsonNode at) {
        if (!at.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(at.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private String elapsed() {
        return startNanos == 0 ? "  setup" : String.format("%6.1f s", (System.nanoTime() - startNanos) / 1e9);
    }

    private static void waitUntil(long atNanos) throws InterruptedException {
        long left;
        while ((left = atNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- types --------------------------------------------------------------------------------------------------

    /** The two signals the drill sends. */
    public enum Signal {
        /** What docker stop, ECS StopTask and a pod deletion send: the instance drains. */
        SIGTERM,
        /** The OOM killer, a node lost, a grace period over: no drain. */
        SIGKILL
    }

    /**
     * One planned signal.
     *
     * @param number 1-based position in the schedule
     * @param at when, from the start of production
     * @param signal which signal
     * @param slot which instance slot (0 to instances - 1)
     */
    public record Planned(int number, Duration at, Signal signal, int slot) {
    }

    /**
     * How one instance stopped.
     *
     * @param event the schedule number, 0 for the final SIGTERMs
     * @param instance its name (HOSTNAME, the {@code instance} of its state events)
     * @param signal the signal the drill sent
     * @param signalledAt when
     * @param exitStatus the process's exit status
     * @param killedAtGrace SIGTERMed, still running when the grace period was over, and so SIGKILLed
     * @param signalToExitMs SIGTERM to exit; -1 for a SIGKILL
     * @param drainMs the shutdown drain report's {@code durationMs}; null when there was none
     * @param reportedExitStatus the drain report's {@code exitStatus}; null when there was none
     * @param commitError the drain report's {@code commitError}: its final commit failed; null when it did not
     */
    public record Stop(int event, String instance, Signal signal, Instant signalledAt, int exitStatus,
            boolean killedAtGrace, long signalToExitMs, Long drainMs, Integer reportedExitStatus,
            String commitError) {
    }

    /**
     * What the drill found.
     *
     * @param settings what it ran with
     * @param schedule the signals it planned
     * @param audit every produced id's fate
     * @param completedIds the distinct ids with a COMPLETED event (read as {@link Settings#isolation()} says)
     * @param stops how each stopped instance went
     * @param lost the lost ids, with where they were on the input topic and their events
     * @param lateDrains SIGTERMed instances that did not exit within the grace period
     * @param unexplainedDuplicates ids completed more than once whose first completion no SIGKILL explains; in
     *        exactly-once mode, every id completed more than once
     * @param failures the failed criteria and errors; empty when the drill passed
     * @param table the printed table
     */
    public record Result(Settings settings, List<Planned> schedule, Audit audit, Set<String> completedIds,
            List<Stop> stops, List<String> lost,
            List<String> lateDrains, List<String> unexplainedDuplicates, List<String> failures, String table) {

        public boolean passed() {
            return failures.isEmpty();
        }
    }

    /**
     * What the drill runs with. Each has a system property, e.g. {@code -Dchaos.seed=42}.
     *
     * @param seed {@code chaos.seed}: the schedule and the transactions' accounts; default random (always printed)
     * @param instances {@code chaos.instances}: instances kept running, default 3
     * @param transactions {@code chaos.transactions}: produced in all, default 20000
     * @param accounts {@code chaos.accounts}: accounts they are spread over, default 2000
     * @param rate {@code chaos.rate}: transactions per second, default 40
     * @param sigterms {@code chaos.sigterms}: SIGTERMs during production, default 20
     * @param sigkills {@code chaos.sigkills}: SIGKILLs during production, default 5
     * @param partitions {@code chaos.partitions}: of the input topic, default 6
     * @param processingTime {@code chaos.processing-time}: simulated work per transaction, default 20ms
     * @param jitter {@code chaos.jitter}: extra simulated work, 0 to this, default 400ms
     * @param gracePeriod {@code chaos.grace-period}: SIGTERM to SIGKILL, default 30s (the ECS and Kubernetes default)
     * @param finishTimeout {@code chaos.finish-timeout}: after production, the wait for every id, default 10m
     * @param name {@code chaos.name}: topic prefix and instance names, default chaos-SEED
     * @param delivery {@code chaos.delivery}: every instance's {@code TRANSACTIONS_DELIVERY}, {@code at-least-once}
     *        (the default) or {@code exactly-once}
     */
    public record Settings(long seed, int instances, int transactions, int accounts, double rate, int sigterms,
            int sigkills, int partitions, Duration processingTime, Duration jitter, Duration gracePeriod,
            Duration finishTimeout, String name, String delivery) {

        public static final String AT_LEAST_ONCE = "at-least-once";
        public static final String EXACTLY_ONCE = "exactly-once";

        public Settings {
            if (!delivery.equals(AT_LEAST_ONCE) && !delivery.equals(EXACTLY_ONCE)) {
                throw new IllegalArgumentException(
                        "chaos.delivery must be " + AT_LEAST_ONCE + " or " + EXACTLY_ONCE + ", not " + delivery);
            }
        }

        public static Settings fromSystemProperties() {
            Map<String, String> properties = new HashMap<>();
            System.getProperties().forEach((key, value) -> properties.put(key.toString(), value.toString()));
            return from(properties);
        }

        /** From {@code chaos.*} properties; the ones absent take their defaults. */
        public static Settings from(Map<String, String> properties) {
            String seedText = properties.get("chaos.seed");
            long seed = seedText == null || seedText.isBlank()
                    ? ThreadLocalRandom.current().nextLong(1, 1_000_000_000L) // short enough to retype
                    : Long.parseLong(seedText.trim());
            return new Settings(seed,
                    Integer.parseInt(properties.getOrDefault("chaos.instances", "3")),
                    Integer.parseInt(properties.getOrDefault("chaos.transactions", "20000")),
                    Integer.parseInt(properties.getOrDefault("chaos.accounts", "2000")),
                    Double.parseDouble(properties.getOrDefault("chaos.rate", "40")),
                    Integer.parseInt(properties.getOrDefault("chaos.sigterms", "20")),
                    Integer.parseInt(properties.getOrDefault("chaos.sigkills", "5")),
                    Integer.parseInt(properties.getOrDefault("chaos.partitions", "6")),
                    duration(properties.getOrDefault("chaos.processing-time", "20ms")),
                    duration(properties.getOrDefault("chaos.jitter", "400ms")),
                    duration(properties.getOrDefault("chaos.grace-period", "30s")),
                    duration(properties.getOrDefault("chaos.finish-timeout", "10m")),
                    properties.getOrDefault("chaos.name", "chaos-" + seed),
                    properties.getOrDefault("chaos.delivery", AT_LEAST_ONCE).trim());
        }

        public boolean exactlyOnce() {
            return delivery.equals(EXACTLY_ONCE);
        }

        /**
         * How the drill reads the state and dead-letter topics: {@code read_committed} in exactly-once mode, as its
         * readers must; {@code read_uncommitted} otherwise (nothing is written in transactions then).
         */
        public IsolationLevel isolation() {
            return exactlyOnce() ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED;
        }

        /** How long producing takes at the configured rate. */
        public Duration production() {
            return Duration.ofMillis((long) (transactions * 1000.0 / rate));
        }

        /** The system properties that reproduce this run exactly. */
        public String commandLine() {
            return String.format(Locale.ROOT,
                    "-Dchaos.seed=%d -Dchaos.instances=%d -Dchaos.transactions=%d -Dchaos.accounts=%d"
                            + " -Dchaos.rate=%s -Dchaos.sigterms=%d -Dchaos.sigkills=%d -Dchaos.partitions=%d"
                            + " -Dchaos.processing-time=%dms -Dchaos.jitter=%dms -Dchaos.grace-period=%dms"
                            + " -Dchaos.delivery=%s",
                    seed, instances, transactions, accounts, rate, sigterms, sigkills, partitions,
                    processingTime.toMillis(), jitter.toMillis(), gracePeriod.toMillis(), delivery);
        }

        /** {@code 250ms}, {@code 10s}, {@code 5m}, or ISO-8601 ({@code PT10S}). */
        static Duration duration(String text) {
            String value = text.trim();
            if (value.startsWith("P") || value.startsWith("p")) {
                return Duration.parse(value);
            }
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            long amount = Long.parseLong(value.substring(0, value.length() - 1));
            return switch (value.charAt(value.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> throw new IllegalArgumentException("not a duration: " + text);
            };
        }
    }

    /**
     * Follows the state topic from its beginning on its own thread, to know when every id is finished without
     * re-reading the topic each time. Only progress and the end-of-run wait use it; the audit reads the topic afresh.
     * In exactly-once mode it reads {@code read_committed}: an id counts as finished once readers can see it.
     */
    private static final class StateTail implements AutoCloseable {

        private final Set<String> finished = ConcurrentHashMap.newKeySet();
        /** Used only by {@link #thread} once started ({@link KafkaConsumer#wakeup()} excepted). */
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile RuntimeException failure;

        StateTail(Topics topics, IsolationLevel isolation) {
            consumer = topics.readerFromBeginning(topics.states, isolation, Map.of());
            thread = new Thread(this::follow, "chaos-state-tail");
            thread.setDaemon(true);
            thread.start();
        }

        private void follow() {
            try {
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        JsonNode event = parse(record.value());
                        String state = event == null ? "" : event.path("state").asText();
                        if (state.equals("COMPLETED") || state.equals("FAILED")) {
                            finished.add(event.path("id").asText());
                        }
                    }
                }
            } catch (WakeupException e) {
                // close() asked us to stop
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        private static JsonNode parse(byte[] value) {
            try {
                return value == null ? null : JSON.readTree(value);
            } catch (IOException e) {
                return null; // the audit reports malformed events; progress just does not count them
            }
        }

        boolean isFinished(String id) {
            return finished.contains(id);
        }

        int finished() {
            return finished.size();
        }

        void rethrow() {
            if (failure != null) {
                throw new IllegalStateException("lost track of the state topic", failure);
            }
        }

        @Override
        public void close() {
            running = false;
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
