package io.txprocessor.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.TimestampType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;
import io.txprocessor.testing.Waits;
import io.txprocessor.transaction.TestTransactionsConfig;

/**
 * {@code ./mvnw -B -Pbenchmark verify}: throughput and drain figures from one run on this machine, as ratios
 * against baselines measured in the same run (the machine is shared and noisy). Prints a table and writes it to
 * {@code target/benchmark.md}.
 *
 * <p>
 * Sections ({@code -Dbenchmark.sections}, all by default): {@code zero} (zero work against the raw loops of
 * {@link RawLoops}, plain SmallRye and Parallel Consumer, with the CPU per record of each), {@code partitions} (60 partitions, 3 instances), {@code io} (20 ms of simulated I/O per record),
 * {@code drains} (drain overhead), {@code eos} (exactly-once delivery, issue 12, against at-least-once). Sizes:
 * {@code -Dbenchmark.records} (zero-work records, also the eos section's zero-work rows), {@code benchmark.io-records}
 * and {@code benchmark.io-window} (the I/O rows, the eos section's too), {@code benchmark.drains};
 * {@code -Dbenchmark.eos-rate} (records/s, 1000) and {@code -Dbenchmark.eos-seconds} (30) are the eos latency rows'
 * steady load, per delivery; {@code -Dbenchmark.eos-commit-interval} sets {@code TRANSACTIONS_COMMIT_INTERVAL} for
 * the eos section's runs (both deliveries; unset, the service's default). {@code -Dbenchmark.service-env} and
 * {@code -Dbenchmark.jfr}: see their fields.
 *
 * <p>
 * CPU per record: each service's (and the peer's) user + system CPU time from {@code /proc/<pid>/stat}, sampled at
 * the moments its timed window starts and ends ({@link Steps}), over the records counted between them.
 */
public final class Benchmark {

    private static final PrintStream OUT = System.out;
    /**
     * The JVM settings docs/performance.md recommends for the service (a 512 MiB container: half of it heap, and the
     * small initial heap a container's JVM starts with, a young generation of 64 MiB), and {@code -Dbenchmark.service-jvm-extra} after them to try
     * another.
     */
    static final String SERVICE_JVM = ("-Xms16m -Xmn64m -Xmx256m -XX:+UseSerialGC -XX:MaxMetaspaceSize=128m "
            + System.getProperty("benchmark.service-jvm-extra", "")).strip();
    /** Zero-work rows are timed over the second half of these, once the JIT has warmed up on the first half. */
    private static final int ZERO_WORK_RECORDS = Integer.getInteger("benchmark.records", 1_000_000);
    private static final int IO_RECORDS = Integer.getInteger("benchmark.io-records", 200_000);
    private static final Duration IO_WINDOW = Duration.ofSeconds(Integer.getInteger("benchmark.io-window", 10));
    private static final int DRAINS = Integer.getInteger("benchmark.drains", 20);
    /**
     * Extra environment for every service the benchmark starts, to try a setting:
     * {@code -Dbenchmark.service-env=TRANSACTIONS_MAX_PENDING_RECORDS=20000,OTHER=value}.
     */
    private static final Map<String, String> SERVICE_ENV = serviceEnv(System.getProperty("benchmark.service-env", ""));
    /**
     * {@code TRANSACTIONS_COMMIT_INTERVAL} of the eos section's services, both deliveries:
     * {@code -Dbenchmark.eos-commit-interval=500ms}; unset, the service's default.
     */
    private static final String EOS_COMMIT_INTERVAL = System.getProperty("benchmark.eos-commit-interval", "");
    /**
     * The latency rows' steady offered load, records/s: well under the 3,200/s that 64 lanes of 20 ms allow, so that
     * what is measured is the path of one record, not a queue.
     */
    private static final int EOS_RATE = Integer.getInteger("benchmark.eos-rate", 1000);
    /** How long the latency rows offer that load, per delivery; the second half of the records is measured. */
    private static final Duration EOS_LOAD = Duration.ofSeconds(Integer.getInteger("benchmark.eos-seconds", 30));
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Which parts run: {@code -Dbenchmark.sections=zero,partitions,io,drains,eos} (all by default). */
    private static final List<String> SECTIONS = List
            .of(System.getProperty("benchmark.sections", "zero,partitions,io,drains,eos").split(","));
    /** Counts the producer transactions of a service in exactly-once delivery (issue 12), by result. */
    private static final String TRANSACTIONS_METRIC = "transactions_producer_transactions_total";
    private static final String COMMITTED_TRANSACTIONS = TRANSACTIONS_METRIC + "{result=\"committed\"}";
    private static final String ABORTED_TRANSACTIONS = TRANSACTIONS_METRIC + "{result=\"aborted\"}";

    /** The service's default {@code transactions.max-concurrency}, which the zero-work peer run uses too. */
    private static final int DEFAULT_CONCURRENCY = TestTransactionsConfig.with(Map.of()).work().maxConcurrency();
    private static final String PIPELINED_ROW = "(a) pipelined raw kafka-clients loop, records/s";
    private static final String PIPELINED_CPU_ROW = "CPU per record, µs: pipelined raw loop";

    private final KafkaBroker broker;
    private final RawLoops rawLoops;
    private final Map<String, String> rows = new LinkedHashMap<>();
    /** The ceiling (a), measured once per run: by the zero section, else by the eos section, which needs it. */
    private Measured pipelined;
    private long peakRssKb;
    /** Exactly-once zero-work runs apart: their window is 10 times larger by default, and the target is not theirs. */
    private long peakRssExactlyOnceKb;
    /** Row (c), for the 60-partition ratio. */
    private double sixPartitions;
    /** The zero-work records, once written: the eos section reads them again rather than writing its own. */
    private Topics zeroWorkTopics;

    private Benchmark(KafkaBroker broker) {
        this.broker = broker;
        this.rawLoops = new RawLoops(broker, ZERO_WORK_RECORDS);
    }

    public static void main(String[] args) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start()) {
            new Benchmark(broker).run();
        }
    }

    private void run() throws Exception {
        OUT.printf("== Benchmark on %d cores, Java %s, broker %s, sections %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                broker.bootstrapServers(), SECTIONS);
        if (SECTIONS.contains("zero")) {
            zeroWork();
        }
        if (SECTIONS.contains("partitions")) {
            partitions();
        }
        if (SECTIONS.contains("io")) {
            io();
        }
        if (SECTIONS.contains("drains")) {
            List<Long> overheads = drains();
            rows.put("drain overhead p50, ms (" + overheads.size() + " drains)",
                    Long.toString(percentile(overheads, 50)));
            rows.put("drain overhead p99, ms  target <= 150", Long.toString(percentile(overheads, 99)));
        }
        if (SECTIONS.contains("eos")) {
            exactlyOnce();
        }
        if (peakRssKb > 0) {
            rows.put("peak RSS of the service, zero-work runs, MB  target <= 300", Long.toString(peakRssKb / 1024));
        }
        if (peakRssExactlyOnceKb > 0) {
            rows.put("peak RSS of the service, exactly-once zero-work runs, " + exactlyOnceWindow() + ", MB"
                    + "  target <= 300", Long.toString(peakRssExactlyOnceKb / 1024));
        }

        String table = table();
        OUT.println("== Results");
        OUT.print(table);
        Path file = Path.of("target", "benchmark.md");
        Files.writeString(file, "JVM for the service: `" + SERVICE_JVM + "`\n\n" + table);
        OUT.println("   written to " + file);
    }

    /**
     * 1. Zero processing time: the framework's own cost per record, against the raw loops, plain SmallRye and
     * Parallel Consumer, with the CPU each took per record.
     */
    private void zeroWork() throws Exception {
        Topics zero = zeroWorkTopics();
        Measured flushPerPoll = rawLoops.flushPerPoll(zero, RawLoops.FlushPerPoll.TUNED);
        Measured naive = rawLoops.flushPerPoll(zero, RawLoops.FlushPerPoll.NAIVE);
        // After the flush-per-poll loops, on the same records: the parse, the serializer and the clients have been
        // compiled by then, so the first half of this run is not the harness's whole warm-up.
        Measured ceiling = pipelinedLoop(zero);
        double plain = service(zero, "bench-plain", 1, baselineEnv()).rate();
        Measured ours = service(zero, "bench-ours", 1, Map.of("TRANSACTIONS_PROCESSING_TIME", "0s"));
        sixPartitions = ours.rate();
        Measured peer = parallelConsumer(zero, "bench-pc-zero", DEFAULT_CONCURRENCY, 0);
        rows.put(PIPELINED_ROW, format(ceiling.rate()));
        rows.put("(a'') raw loop, flush and commitSync per poll, tuned (the ceiling before), records/s",
                format(flushPerPoll.rate()));
        rows.put("(a') raw loop, flush and commitSync per poll, client defaults, records/s", format(naive.rate()));
        rows.put("(b) plain SmallRye @Incoming, records/s", format(plain));
        rows.put("(c) this service, zero work, records/s", format(ours.rate()));
        rows.put("(c)/(a)  target >= 0.5", ratio(ours.rate() / ceiling.rate()));
        rows.put("(c)/(a'')", ratio(ours.rate() / flushPerPoll.rate()));
        rows.put("(c)/(b)  target >= 1.5", ratio(ours.rate() / plain));
        rows.put("(d) Parallel Consumer 0.5.3.3, zero work, KEY, concurrency " + DEFAULT_CONCURRENCY + ", records/s",
                format(peer.rate()));
        rows.put("this service / Parallel Consumer, zero work  target >= 4", ratio(ours.rate() / peer.rate()));
        rows.put(PIPELINED_CPU_ROW, micros(ceiling));
        rows.put("CPU per record, µs: this service, at least once", micros(ours));
        rows.put("CPU per record: this service, at least once / pipelined raw loop",
                ratio(ours.cpuMicrosPerRecord() / ceiling.cpuMicrosPerRecord()));
        rows.put("CPU per record, µs: raw loop, flush per poll", micros(flushPerPoll));
        rows.put("CPU per record, µs: Parallel Consumer, zero work", micros(peer));
    }

    /**
     * The ceiling (a), {@link RawLoops#pipelined}, on the zero-work records: measured on first use and kept, so the
     * zero section and the eos section compare against the same figure.
     */
    private Measured pipelinedLoop(Topics zero) throws Exception {
        if (pipelined == null) {
            pipelined = rawLoops.pipelined(zero);
        }
        return pipelined;
    }

    /** The zero-work records (6 partitions, 1,000 accounts), written on first use. */
    private Topics zeroWorkTopics() {
        if (zeroWorkTopics == null) {
            Topics zero = new Topics(broker, "bench-zero", 6);
            OUT.printf("== Producing %,d transactions%n", ZERO_WORK_RECORDS);
            zero.produceTransactions(ZERO_WORK_RECORDS, 1000);
            zeroWorkTopics = zero;
        }
        return zeroWorkTopics;
    }

    /** 2. Zero work again, with ten times the partitions, and with three instances sharing twelve. */
    private void partitions() throws Exception {
        Topics sixty = new Topics(broker, "bench-sixty", 60);
        OUT.printf("== Producing %,d transactions over 60 partitions%n", ZERO_WORK_RECORDS);
        sixty.produceTransactions(ZERO_WORK_RECORDS, 1000);
        double ours60 = service(sixty, "bench-ours-60", 1, Map.of("TRANSACTIONS_PROCESSING_TIME", "0s")).rate();
        rows.put("(c) with 60 partitions, records/s", format(ours60));
        if (sixPartitions > 0) {
            rows.put("60 partitions / 6 partitions  target >= 0.9", ratio(ours60 / sixPartitions));
        }
        Topics twelve = new Topics(broker, "bench-twelve", 12);
        // Frozen while the records are written (below), so a session timeout longer than that writing.
        double three = service(twelve, "bench-three", 3, Map.of("TRANSACTIONS_PROCESSING_TIME", "0s",
                "MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "120000")).rate();
        rows.put("3 instances, 12 partitions, aggregate records/s (3 JVMs on these cores)", format(three));
    }

    /** 3. 20 ms of simulated I/O per record, 6 partitions, 1,000 accounts; Parallel Consumer at 256 beside it. */
    private void io() throws Exception {
        Topics io = new Topics(broker, "bench-io", 6);
        OUT.printf("== Producing %,d transactions for the I/O runs%n", IO_RECORDS);
        // 10,000 accounts: enough distinct keys that 1,024 lanes can all be busy.
        io.produceTransactions(IO_RECORDS, 10_000);
        double partitionOrdered = ioRun(io, "partition", 64);
        rows.put("20 ms I/O, partition-ordered, records/s", format(partitionOrdered));
        Map<Integer, Double> keyOrdered = new HashMap<>();
        for (int concurrency : List.of(64, 256, 1024)) {
            double rate = ioRun(io, "key", concurrency);
            keyOrdered.put(concurrency, rate);
            rows.put("20 ms I/O, key-ordered, concurrency " + concurrency + ", records/s", format(rate));
            rows.put("key-ordered " + concurrency + " / its ceiling (" + concurrency + " / 20 ms)"
                    + (concurrency == 1024 ? "" : "  target >= 0.95"), ratio(rate / ceiling(concurrency)));
        }
        // At 1,024 the ceiling is about what the service does at zero work on 2 cores: the lower of the two is
        // what it could reach. Without the zero section in this run, (c) is unknown and the ceiling stands alone.
        String against = sixPartitions > 0
                ? "min(its ceiling, (c) " + format(sixPartitions) + ")"
                : "its ceiling ((c) not measured in this run)";
        double reachable = sixPartitions > 0 ? Math.min(ceiling(1024), sixPartitions) : ceiling(1024);
        rows.put("key-ordered 1024 / " + against + "  target >= 0.8", ratio(keyOrdered.get(1024) / reachable));
        rows.put("key-ordered 64 / partition-ordered  target >= 10", ratio(keyOrdered.get(64) / partitionOrdered));
        Measured peer = parallelConsumer(io, "bench-pc-io-256", 256, 20);
        rows.put("20 ms I/O, key-ordered, concurrency 256, Parallel Consumer, records/s", format(peer.rate()));
        rows.put("Parallel Consumer key-ordered 256 / its ceiling (256 / 20 ms)", ratio(peer.rate() / ceiling(256)));
        rows.put("20 ms I/O, key-ordered 256: this service / Parallel Consumer",
                ratio(keyOrdered.get(256) / peer.rate()));
    }

    /** Records/s that {@code concurrency} lanes of 20 ms each allow. */
    private static double ceiling(int concurrency) {
        return concurrency / 0.020;
    }

    /**
     * 4. Exactly-once delivery (issue 12, {@code TRANSACTIONS_DELIVERY=exactly-once}) against at-least-once, each
     * pair measured back to back in this run the way the rows above are: zero work on the zero-work records, and
     * 20 ms of I/O, key-ordered, concurrency 64; then the end-to-end latency of each at a steady load well under
     * capacity ({@link #latencyRun}). Both deliveries get the same commit interval: exactly-once commits one
     * producer transaction per interval (which should dominate its latency), at-least-once the offsets.
     */
    private void exactlyOnce() throws Exception {
        String interval = "commit interval " + commitInterval();
        OUT.println("== Exactly-once against at-least-once, " + interval);
        Topics zero = zeroWorkTopics();
        Map<String, String> zeroWork = Map.of("TRANSACTIONS_PROCESSING_TIME", "0s");
        Measured atLeastOnceRun = service(zero, "bench-eos-zero-alo", 1, delivery("at-least-once", zeroWork));
        Measured exactlyOnceRun = service(zero, "bench-eos-zero-eos", 1, delivery("exactly-once", zeroWork));
        // The ceiling of the same run: the zero section's if it ran, else measured now on the same records.
        Measured ceiling = pipelinedLoop(zero);
        double zeroAtLeastOnce = atLeastOnceRun.rate();
        double zeroExactlyOnce = exactlyOnceRun.rate();
        rows.put("zero work, at-least-once, records/s", format(zeroAtLeastOnce));
        rows.put("zero work, exactly-once (" + interval + "), records/s", format(zeroExactlyOnce));
        rows.put("zero work, exactly-once / at-least-once  target >= 0.9", ratio(zeroExactlyOnce / zeroAtLeastOnce));
        rows.put("zero work, exactly once / pipelined raw loop  target >= 0.45",
                ratio(zeroExactlyOnce / ceiling.rate()));
        rows.putIfAbsent(PIPELINED_ROW, format(ceiling.rate()));
        rows.putIfAbsent(PIPELINED_CPU_ROW, micros(ceiling));
        rows.put("CPU per record, µs: this service, at least once (eos section's run)", micros(atLeastOnceRun));
        rows.put("CPU per record, µs: this service, exactly once (" + interval + ")", micros(exactlyOnceRun));
        rows.put("CPU per record: this service, exactly once / pipelined raw loop",
                ratio(exactlyOnceRun.cpuMicrosPerRecord() / ceiling.cpuMicrosPerRecord()));
        rows.put("CPU per record: exactly once / at least once",
                ratio(exactlyOnceRun.cpuMicrosPerRecord() / atLeastOnceRun.cpuMicrosPerRecord()));

        Topics io = new Topics(broker, "bench-eos-io", 6);
        OUT.printf("== Producing %,d transactions for the exactly-once I/O runs%n", IO_RECORDS);
        io.produceTransactions(IO_RECORDS, 10_000);
        double ioAtLeastOnce = ioRun(io, "bench-eos-io-alo", "key", 64, delivery("at-least-once", Map.of())).rate();
        double ioExactlyOnce = ioRun(io, "bench-eos-io-eos", "key", 64, delivery("exactly-once", Map.of())).rate();
        rows.put("20 ms I/O, key-ordered, concurrency 64, at-least-once, records/s", format(ioAtLeastOnce));
        rows.put("20 ms I/O, key-ordered, concurrency 64, exactly-once (" + interval + "), records/s",
                format(ioExactlyOnce));
        rows.put("20 ms I/O, exactly-once / at-least-once  target >= 0.95", ratio(ioExactlyOnce / ioAtLeastOnce));

        String load = String.format("%,d records/s, 20 ms work", EOS_RATE);
        List<Long> atLeastOnce = latencyRun("bench-eos-latency-alo", delivery("at-least-once", Map.of()));
        List<Long> exactlyOnce = latencyRun("bench-eos-latency-eos", delivery("exactly-once", Map.of()));
        rows.put("append to read_committed, at-least-once, p50, ms (" + load + ")",
                Long.toString(percentile(atLeastOnce, 50)));
        rows.put("append to read_committed, at-least-once, p99, ms (" + load + ")",
                Long.toString(percentile(atLeastOnce, 99)));
        rows.put("append to read_committed, exactly-once, p50, ms (" + load + ", " + interval + ")",
                Long.toString(percentile(exactlyOnce, 50)));
        rows.put("append to read_committed, exactly-once, p99, ms (" + load + ", " + interval + ")  target <= "
                + (millis(commitInterval()) + 150) + " (commit interval + 150)",
                Long.toString(percentile(exactlyOnce, 99)));
    }

    /**
     * End-to-end latency at a steady offered load well under capacity ({@code -Dbenchmark.eos-rate} records/s for
     * {@code -Dbenchmark.eos-seconds}, written from the harness at an even pace; 20 ms of I/O per record,
     * key-ordered, concurrency 64, 10,000 accounts): from each input record's append to the moment its state event
     * reaches a read_committed reader of the states topic. Returns the latencies, ms, of the second half of the
     * records by append time, once the service and the reader are warm.
     *
     * <p>
     * The start is the append time as the log holds it: the input topic is set to
     * {@code message.timestamp.type=LogAppendTime}, so each record's timestamp is the moment the broker appended it,
     * read back from the topic after the run. Chosen over the producer's CreateTime because the append is the moment
     * the service could first see the record, whereas CreateTime would add the harness producer's own batching
     * ({@code linger.ms}) and request time, which are not the service's. The broker is local, so its clock is the
     * reader's (with {@code KAFKA_BOOTSTRAP_SERVERS} naming a broker on another host, their skew would be in the
     * figures). The end is when the reader's {@code poll} (5 ms timeout, {@code fetch.max.wait.ms} 10) returned the
     * event, matched to its input by the topic, partition and offset it carries.
     */
    private List<Long> latencyRun(String name, Map<String, String> extra) throws Exception {
        OUT.printf("== %s: %,d records/s for %d s%n", name, EOS_RATE, EOS_LOAD.toSeconds());
        Topics topics = new Topics(broker, name, 6);
        logAppendTime(topics.input);
        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.put("HOSTNAME", name);
        env.putAll(ioEnv("key", 64));
        env.putAll(extra);
        env.putAll(SERVICE_ENV);
        env.put("JAVA_TOOL_OPTIONS", SERVICE_JVM + flightRecording(name));
        int total = Math.toIntExact(EOS_RATE * EOS_LOAD.toSeconds());
        Map<Source, Long> visibleAt = new HashMap<>();
        int duplicates = 0;
        // A fetch the broker holds for want of data returns within 10 ms, so the reader adds at most that to what it
        // measures.
        Map<String, Object> quickFetches = Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        try (ServiceProcess service = ServiceProcess.start(name, env);
                KafkaConsumer<byte[], byte[]> reader = topics.readerFromBeginning(topics.states,
                        IsolationLevel.READ_COMMITTED, quickFetches)) {
            Waits.until(name + " to be assigned its partitions", Duration.ofMinutes(2),
                    () -> !ServiceProcess.assignedPartitions(service.lines()).isEmpty());
            try (SteadyLoad load = new SteadyLoad(topics, total, EOS_RATE)) {
                long deadline = Long.MAX_VALUE;
                while (visibleAt.size() < total) {
                    ConsumerRecords<byte[], byte[]> events = reader.poll(Duration.ofMillis(5));
                    long now = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> record : events) {
                        JsonNode event = JSON.readTree(record.value());
                        Source source = new Source(event.path("topic").asText(), event.path("partition").asInt(),
                                event.path("offset").asLong());
                        duplicates += visibleAt.putIfAbsent(source, now) == null ? 0 : 1;
                    }
                    if (deadline == Long.MAX_VALUE && load.done()) {
                        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    }
                    if (System.nanoTime() > deadline || !service.isAlive()) {
                        throw new IllegalStateException(name + ": " + visibleAt.size() + " of " + total
                                + " state events visible to a read_committed reader, "
                                + (service.isAlive()
                                        ? "60 s after the last record was written"
                                        : "the service exited"));
                    }
                }
                OUT.printf("   written at %,.0f records/s%n", total / (load.elapsedNanos() / 1e9));
            }
            if (isExactlyOnce(env)) {
                requireTransactions(service);
            }
            dumpFlightRecording(service, name);
            service.sigterm();
            service.awaitExit(Duration.ofSeconds(40));
        }
        List<long[]> appendedAndLatency = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> input : topics.readAll(topics.input)) {
            if (input.timestampType() != TimestampType.LOG_APPEND_TIME) {
                throw new IllegalStateException(topics.input + " holds a record with a " + input.timestampType()
                        + " timestamp: its LogAppendTime setting was not in force when it was written");
            }
            Long visible = visibleAt.get(new Source(input.topic(), input.partition(), input.offset()));
            if (visible == null) {
                throw new IllegalStateException(name + ": no state event for " + input.topic() + "-"
                        + input.partition() + "@" + input.offset());
            }
            appendedAndLatency.add(new long[]{input.timestamp(), visible - input.timestamp()});
        }
        appendedAndLatency.sort(Comparator.comparingLong(pair -> pair[0]));
        List<Long> latencies = appendedAndLatency.subList(appendedAndLatency.size() / 2, appendedAndLatency.size())
                .stream().map(pair -> pair[1]).toList();
        OUT.printf("   second half (%,d records): p50 %d ms, p99 %d ms, max %d ms; %d duplicate state events%n",
                latencies.size(), percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100),
                duplicates);
        return latencies;
    }

    /** An input record, as a state event names it. */
    private record Source(String topic, int partition, long offset) {
    }

    /** Sets the topic's {@code message.timestamp.type} to LogAppendTime, and waits until the broker reports it. */
    private void logAppendTime(String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = broker.admin()) {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"),
                    AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            Waits.until(topic + " to take LogAppendTime", Duration.ofSeconds(30), () -> {
                try {
                    return "LogAppendTime".equals(admin.describeConfigs(List.of(resource)).all()
                            .get(10, TimeUnit.SECONDS).get(resource)
                            .get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).value());
                } catch (Exception e) {
                    throw new IllegalStateException("could not read the configuration of " + topic, e);
                }
            });
        }
    }

    /**
     * Writes transactions tx-000000.. over 10,000 accounts to a topic at an even pace from its own thread, as a live
     * upstream would: record i is sent at i / rate seconds after the start (after a stall, the records it held up
     * follow at once).
     */
    private static final class SteadyLoad implements AutoCloseable {
        private final Thread thread;
        private final AtomicInteger failed = new AtomicInteger();
        private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
        private volatile boolean done;
        private volatile long elapsedNanos;

        SteadyLoad(Topics topics, int total, int perSecond) {
            thread = new Thread(() -> write(topics, total, perSecond), "bench-steady-load");
            thread.setDaemon(true);
            thread.start();
        }

        private void write(Topics topics, int total, int perSecond) {
            long start = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
                for (int i = 0; i < total && !Thread.currentThread().isInterrupted(); i++) {
                    long due = start + (long) (i * 1e9 / perSecond);
                    while (System.nanoTime() < due && !Thread.currentThread().isInterrupted()) {
                        LockSupport.parkNanos(due - System.nanoTime());
                    }
                    String account = "acc-" + (i % 10_000);
                    producer.send(new ProducerRecord<>(topics.input, account.getBytes(StandardCharsets.UTF_8),
                            Topics.transaction(Topics.id(i), account).getBytes(StandardCharsets.UTF_8)),
                            (metadata, e) -> {
                                if (e != null) {
                                    failed.incrementAndGet();
                                    firstFailure.compareAndSet(null, e);
                                }
                            });
                }
                producer.flush();
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, e);
            } finally {
                elapsedNanos = System.nanoTime() - start;
                done = true;
            }
        }

        /** True once every record was sent and acknowledged; throws if the broker did not take one of them. */
        boolean done() {
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " records of the steady load were not written",
                        firstFailure.get());
            }
            return done;
        }

        long elapsedNanos() {
            return elapsedNanos;
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(30_000);
        }
    }

    /** {@code extra} plus the delivery and the eos section's commit interval, if one is set. */
    private static Map<String, String> delivery(String delivery, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("TRANSACTIONS_DELIVERY", delivery);
        if (!EOS_COMMIT_INTERVAL.isBlank()) {
            env.put("TRANSACTIONS_COMMIT_INTERVAL", EOS_COMMIT_INTERVAL);
        }
        return env;
    }

    /**
     * The commit interval the eos section's services run with: {@code -Dbenchmark.service-env}'s, else
     * {@code -Dbenchmark.eos-commit-interval}, else the service's default.
     */
    private static String commitInterval() {
        String configured = SERVICE_ENV.getOrDefault("TRANSACTIONS_COMMIT_INTERVAL", EOS_COMMIT_INTERVAL);
        if (!configured.isBlank()) {
            return configured;
        }
        Duration fallback = TestTransactionsConfig.with(Map.of()).work().commitInterval();
        return fallback.toMillis() % 1000 == 0 ? fallback.toSeconds() + "s" : fallback.toMillis() + "ms";
    }

    /**
     * Fails unless the service ran exactly-once, i.e. committed producer transactions: a jar built before issue 12
     * ignores {@code TRANSACTIONS_DELIVERY}, and the eos rows would compare at-least-once with itself. Prints how
     * many transactions committed and aborted (aborts in a run without failures would be a finding of their own).
     * Call before the SIGTERM.
     */
    private static void requireTransactions(ServiceProcess service) {
        double committed = service.metric(COMMITTED_TRANSACTIONS).orElse(0.0);
        if (committed == 0) {
            throw new IllegalStateException(service.name() + " ran with TRANSACTIONS_DELIVERY=exactly-once but "
                    + COMMITTED_TRANSACTIONS + " is absent or 0: is exactly-once delivery (issue 12) in the "
                    + "packaged service, " + ServiceProcess.jar() + "?");
        }
        OUT.printf("   producer transactions: %,.0f committed, %,.0f aborted%n", committed,
                service.metric(ABORTED_TRANSACTIONS).orElse(0.0));
    }

    private static boolean isExactlyOnce(Map<String, String> env) {
        return "exactly-once".equals(env.get("TRANSACTIONS_DELIVERY"));
    }

    // ---- (b) and (c): the packaged service, in its own JVM --------------------------------------------------

    /**
     * The plain SmallRye baseline's channels (src/benchmark, compiled into the benchmark profile's build only, with
     * their configuration in its META-INF/microprofile-config.properties) on, the service's off.
     */
    private static Map<String, String> baselineEnv() {
        return Map.of("MP_MESSAGING_INCOMING_BASELINE_ENABLED", "true",
                "MP_MESSAGING_OUTGOING_BASELINE_STATES_ENABLED", "true",
                "MP_MESSAGING_INCOMING_TRANSACTIONS_ENABLED", "false");
    }

    /**
     * Runs {@code instances} of the service in one fresh group over the whole topic; returns their aggregate
     * records/s over the second half, and their CPU (all instances') per record there. With one instance the records
     * are already there; with several they are written once the group has settled.
     */
    private Measured service(Topics topics, String name, int instances, Map<String, String> extra) throws Exception {
        OUT.println("== " + name + (instances > 1 ? " (" + instances + " instances)" : ""));
        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.putAll(extra);
        env.putAll(SERVICE_ENV);
        env.put("TRANSACTIONS_GROUP_ID", topics.group + "-" + name);
        env.put("TRANSACTIONS_STATES_TOPIC", statesTopic(topics, name));
        List<ServiceProcess> services = new ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                String instance = instances > 1 ? name + "-" + i : name;
                Map<String, String> own = new HashMap<>(env);
                own.put("HOSTNAME", instance);
                own.put("JAVA_TOOL_OPTIONS", SERVICE_JVM + flightRecording(instance));
                services.add(ServiceProcess.start(instance, own));
            }
            Steps published = new Steps(() -> committedEndOffsetSum(env.get("TRANSACTIONS_STATES_TOPIC")),
                    () -> cpuTicks(services));
            if (instances > 1) {
                // Several instances: the records are written once the group has settled (every instance has its
                // partitions), so that the timed stretch is not one instance working while the others start.
                Waits.until(name + " to settle", Duration.ofMinutes(2), () -> services.stream()
                        .allMatch(service -> !ServiceProcess.assignedPartitions(service.lines()).isEmpty()));
                // Frozen (SIGSTOP) while the records are written, then resumed together: otherwise they consume as fast
                // as the harness writes, and the row would time the harness's producer.
                services.forEach(ServiceProcess::sigstop);
                try {
                    OUT.printf("   producing %,d transactions%n", ZERO_WORK_RECORDS);
                    topics.produceTransactions(ZERO_WORK_RECORDS, 1000);
                } finally {
                    services.forEach(ServiceProcess::sigcont);
                }
            }
            boolean exactlyOnce = isExactlyOnce(env);
            // The RSS rows are this service's: the plain SmallRye baseline's runs print their own peak only.
            boolean ours = !"true".equals(env.get("MP_MESSAGING_INCOMING_BASELINE_ENABLED"));
            Waits.until(name + " to publish half of the state events", Duration.ofMinutes(5), () -> {
                if (ours) {
                    services.forEach(service -> sampleRss(service, exactlyOnce));
                }
                return published.poll() >= ZERO_WORK_RECORDS / 2;
            });
            Mark start = published.mark();
            Waits.until(name + " to publish every state event", Duration.ofMinutes(5), () -> {
                if (ours) {
                    services.forEach(service -> sampleRss(service, exactlyOnce));
                }
                return published.poll() >= ZERO_WORK_RECORDS;
            });
            Measured measured = published.measure(start, true);
            OUT.printf("   %,.0f records/s over the second half, CPU %.1f µs/record%s%n", measured.rate(),
                    measured.cpuMicrosPerRecord(), peakRssOf(services));
            for (ServiceProcess service : services) {
                if (isExactlyOnce(env)) {
                    requireTransactions(service);
                }
                dumpFlightRecording(service, service.name());
                service.sigterm();
            }
            for (ServiceProcess service : services) {
                service.awaitExit(Duration.ofSeconds(40));
            }
            return measured;
        } finally {
            services.forEach(ServiceProcess::close);
        }
    }

    /**
     * With {@code -Dbenchmark.jfr=true}, each service run of the throughput sections records a Java Flight Recording ("profile"
     * settings), dumped to {@code target/jfr/<name>.jfr} by {@link #dumpFlightRecording} before the SIGTERM (the
     * service halts its JVM at the end of a drain, before the JVM would write it).
     */
    private static String flightRecording(String name) {
        return Boolean.getBoolean("benchmark.jfr") ? " -XX:StartFlightRecording=name=benchmark,settings=profile" : "";
    }

    private static void dumpFlightRecording(ServiceProcess service, String name) throws Exception {
        if (!Boolean.getBoolean("benchmark.jfr")) {
            return;
        }
        Path file = Path.of("target", "jfr", name + ".jfr").toAbsolutePath();
        Files.createDirectories(file.getParent());
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(service.pid()), "JFR.dump", "name=benchmark", "filename=" + file).inheritIO().start();
        if (!jcmd.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            jcmd.destroyForcibly();
        }
        OUT.println("   flight recording: " + file);
    }

    private String statesTopic(Topics topics, String name) {
        String topic = topics.states + "-" + name;
        broker.createTopic(topic, 3);
        return topic;
    }

    /**
     * The sum of the topic's end offsets as a read_committed reader sees them (last stable offsets): what has been
     * published, for a topic written transactionally too (where the plain end offsets also count the records of
     * open transactions). Without transactions the two are the same. With them it also counts one commit marker per
     * partition per transaction: a few per commit interval, nothing next to the records counted.
     */
    private long committedEndOffsetSum(String topic) {
        try (var admin = broker.admin()) {
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                request.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            return admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                    .values().stream().mapToLong(i -> i.offset()).sum();
        } catch (Exception e) {
            throw new IllegalStateException("could not read the end offsets of " + topic, e);
        }
    }

    /** Records/s in a fixed window once processing runs, with 20 ms of simulated I/O per record. */
    private double ioRun(Topics topics, String ordering, int concurrency) throws Exception {
        return ioRun(topics, "bench-io-" + ordering + "-" + concurrency, ordering, concurrency, Map.of()).rate();
    }

    /** {@link #ioRun(Topics, String, int)} under another name (its own group), with {@code extra} environment. */
    private Measured ioRun(Topics topics, String name, String ordering, int concurrency, Map<String, String> extra)
            throws Exception {
        OUT.println("== " + name);
        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.put("TRANSACTIONS_GROUP_ID", topics.group + "-" + name);
        env.put("TRANSACTIONS_STATES_TOPIC", statesTopic(topics, name));
        env.putAll(ioEnv(ordering, concurrency));
        env.putAll(extra);
        env.putAll(SERVICE_ENV);
        env.put("JAVA_TOOL_OPTIONS", SERVICE_JVM + flightRecording(name));
        try (ServiceProcess service = ServiceProcess.start(name, env)) {
            Steps completed = new Steps(() -> service.metric("transactions_processed_total{outcome=\"completed\"}")
                    .orElse(0.0).longValue(), () -> ProcessCpu.ticks(service.pid()));
            Waits.until(name + " to complete its first transactions", Duration.ofSeconds(60),
                    () -> completed.poll() > 0);
            Mark start = completed.mark();
            long end = start.nanos() + IO_WINDOW.toNanos();
            Waits.until(name + " window", IO_WINDOW.plusSeconds(30),
                    () -> completed.poll() >= IO_RECORDS || System.nanoTime() >= end);
            Measured measured = completed.measure(start, completed.mark().count() >= IO_RECORDS);
            OUT.printf("   %,.0f records/s in the window, CPU %.1f µs/record%n", measured.rate(),
                    measured.cpuMicrosPerRecord());
            if (isExactlyOnce(env)) {
                requireTransactions(service);
            }
            dumpFlightRecording(service, name);
            service.sigterm();
            service.awaitExit(Duration.ofSeconds(40));
            return measured;
        }
    }

    /** 20 ms of simulated I/O per record, with this ordering and concurrency. */
    private static Map<String, String> ioEnv(String ordering, int concurrency) {
        return Map.of("TRANSACTIONS_PROCESSING_TIME", "20ms", "TRANSACTIONS_ORDERING", ordering,
                "TRANSACTIONS_MAX_CONCURRENCY", Integer.toString(concurrency));
    }

    /**
     * A count seen at a moment, with the CPU ticks its process(es) had used then (-1 if unknown): where a warm window
     * starts or ends.
     */
    private record Mark(long count, long nanos, long cpuTicks) {
    }

    /**
     * A count polled over time (state events published, records completed) that remembers when each of its values
     * was first seen, and the CPU its process had used at that moment, so that a warm rate, and the CPU per record,
     * are taken between two moments at which the count moved. An exactly-once service's outcomes become visible a
     * transaction at a time, once per commit interval: timing them up to the moment every record is visible would add
     * the stretch from the last record's processing to its commit (up to a commit interval, a tenth of a 10 s
     * window), so a count that reached its total is timed to its step before last; a window that ends on the clock,
     * to its latest step. An at-least-once count moves at every poll (50 ms), so for it this is the same as timing to
     * the end.
     */
    private static final class Steps {
        private final LongSupplier count;
        private final LongSupplier cpuTicks;
        private Mark latest = new Mark(-1, 0, -1);
        private Mark previous = latest;

        Steps(LongSupplier count, LongSupplier cpuTicks) {
            this.count = count;
            this.cpuTicks = cpuTicks;
        }

        long poll() {
            long value = count.getAsLong();
            if (value != latest.count()) {
                previous = latest;
                latest = new Mark(value, System.nanoTime(), cpuTicks.getAsLong());
            }
            return value;
        }

        /** The latest value and when it was first seen: the start of a window. */
        Mark mark() {
            return latest;
        }

        /**
         * Per second from {@code start} to the latest step or, when the count reached its total ({@code finished}),
         * to the step before it if there is one after {@code start}; and the CPU per record between the same two
         * marks. NaN when the count did not move after {@code start}.
         */
        Measured measure(Mark start, boolean finished) {
            Mark end = latest;
            if (finished && previous.nanos() > start.nanos()) {
                end = previous;
            } else if (finished) {
                OUT.println("   the window holds one step of the count: timed to the end, idle time included");
            }
            if (end.nanos() <= start.nanos()) {
                OUT.println("   the count did not move in the window: too few records to time");
                return new Measured(Double.NaN, Double.NaN);
            }
            long records = end.count() - start.count();
            return new Measured(records / ((end.nanos() - start.nanos()) / 1e9),
                    ProcessCpu.microsPerRecord(start.cpuTicks(), end.cpuTicks(), records));
        }
    }

    /** The CPU ticks these processes have used so far, together; -1 if one of them cannot be read. */
    private static long cpuTicks(List<ServiceProcess> services) {
        long sum = 0;
        for (ServiceProcess service : services) {
            long ticks = ProcessCpu.ticks(service.pid());
            if (ticks < 0) {
                return -1;
            }
            sum += ticks;
        }
        return sum;
    }

    // ---- (d) the peer: Parallel Consumer 0.5.3.3 -----------------------------------------------------------

    /**
     * Parallel Consumer doing the service's job ({@link ParallelConsumerProcess}: KEY order, periodic async commits,
     * the same state event per record, the service's JVM settings), in a fresh group over the whole topic, measured
     * as the service's rows are: its state events' count on its own states topic. At zero work ({@code workMs} 0,
     * the zero-work records) over the second half, as {@link #service}; with work, over the I/O window from its first
     * event, as {@link #ioRun}.
     */
    private Measured parallelConsumer(Topics topics, String name, int concurrency, long workMs) throws Exception {
        OUT.printf("== %s: Parallel Consumer 0.5.3.3, KEY, concurrency %d, %d ms work%n", name, concurrency, workMs);
        String states = statesTopic(topics, name);
        try (ParallelConsumerProcess peer = ParallelConsumerProcess.start(name, SERVICE_JVM,
                broker.bootstrapServers(), topics.input, states, topics.group + "-" + name, concurrency, workMs)) {
            Steps published = new Steps(() -> {
                peer.requireAlive();
                return committedEndOffsetSum(states);
            }, () -> ProcessCpu.ticks(peer.pid()));
            Measured measured;
            if (workMs == 0) {
                Waits.until(name + " to publish half of the state events", Duration.ofMinutes(5),
                        () -> published.poll() >= ZERO_WORK_RECORDS / 2);
                Mark start = published.mark();
                Waits.until(name + " to publish every state event", Duration.ofMinutes(5),
                        () -> published.poll() >= ZERO_WORK_RECORDS);
                measured = published.measure(start, true);
                OUT.printf("   %,.0f records/s over the second half", measured.rate());
            } else {
                Waits.until(name + " to publish its first state events", Duration.ofSeconds(60),
                        () -> published.poll() > 0);
                Mark start = published.mark();
                long end = start.nanos() + IO_WINDOW.toNanos();
                Waits.until(name + " window", IO_WINDOW.plusSeconds(30),
                        () -> published.poll() >= IO_RECORDS || System.nanoTime() >= end);
                measured = published.measure(start, published.mark().count() >= IO_RECORDS);
                OUT.printf("   %,.0f records/s in the window", measured.rate());
            }
            OUT.printf(", CPU %.1f µs/record%n", measured.cpuMicrosPerRecord());
            return measured;
        }
    }

    // ---- drain overhead ------------------------------------------------------------------------------------

    /**
     * Drains with work in flight that finishes within the grace period. Overhead = SIGTERM-to-exit minus the time
     * from SIGTERM until the last record in flight finished (its COMPLETED event's {@code at}).
     */
    private List<Long> drains() throws Exception {
        OUT.printf("== %d drains (300-800 ms of work per record, SIGTERM at a random moment)%n", DRAINS);
        Topics topics = new Topics(broker, "bench-drain", 6);
        topics.produceTransactions(100_000, 1000);
        Random random = new Random(42);
        List<Long> overheads = new ArrayList<>();
        for (int i = 0; i < DRAINS; i++) {
            String name = "bench-drain-" + i;
            Map<String, String> env = new HashMap<>(topics.serviceEnv());
            env.put("HOSTNAME", name);
            env.put("TRANSACTIONS_PROCESSING_TIME", "300ms");
            env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "500ms");
            env.putAll(SERVICE_ENV);
            env.put("JAVA_TOOL_OPTIONS", SERVICE_JVM);
            try (ServiceProcess service = ServiceProcess.start(name, env)) {
                Waits.until(name + " to have work in flight", Duration.ofSeconds(60),
                        () -> service.metric("transactions_in_flight").orElse(0.0) > 0);
                Waits.until(name + " random moment", Duration.ofSeconds(5), randomMoment(random));
                Instant sigterm = Instant.now();
                service.sigterm();
                service.awaitExit(Duration.ofSeconds(40));
                Instant exit = sigterm.plus(service.sigtermToExit());
                Instant lastFinished = sigterm;
                for (JsonNode event : topics.stateEvents()) {
                    if (name.equals(event.path("instance").asText())) {
                        Instant at = Instant.parse(event.path("at").asText());
                        lastFinished = at.isAfter(lastFinished) ? at : lastFinished;
                    }
                }
                long overhead = Duration.between(lastFinished, exit).toMillis();
                overheads.add(overhead);
                OUT.printf(
                        "   drain %2d: SIGTERM to exit %4d ms, last handler done %4d ms after SIGTERM, overhead %4d ms%n",
                        i, Duration.between(sigterm, exit).toMillis(),
                        Duration.between(sigterm, lastFinished).toMillis(), overhead);
            }
        }
        return overheads;
    }

    private static java.util.function.BooleanSupplier randomMoment(Random random) {
        long until = System.nanoTime() + Duration.ofMillis(random.nextInt(1500)).toNanos();
        return () -> System.nanoTime() >= until;
    }

    /** The highest VmHWM of these processes so far, for the run's own line ("" when it cannot be read). */
    private static String peakRssOf(List<ServiceProcess> services) {
        long kb = 0;
        for (ServiceProcess service : services) {
            kb = Math.max(kb, vmHwmKb(service));
        }
        return kb == 0 ? "" : String.format("; peak RSS %,d MB", kb / 1024);
    }

    private static long vmHwmKb(ServiceProcess service) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(service.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D+", ""));
                }
            }
        } catch (IOException e) {
            // the process may have just exited
        }
        return 0;
    }

    private void sampleRss(ServiceProcess service, boolean exactlyOnce) {
        long kb = vmHwmKb(service);
        if (exactlyOnce) {
            peakRssExactlyOnceKb = Math.max(peakRssExactlyOnceKb, kb);
        } else {
            peakRssKb = Math.max(peakRssKb, kb);
        }
    }

    private static Map<String, String> serviceEnv(String pairs) {
        Map<String, String> env = new HashMap<>();
        for (String pair : pairs.split(",")) {
            if (!pair.isBlank()) {
                env.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
            }
        }
        return Map.copyOf(env);
    }

    private static long percentile(List<Long> values, int percentile) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }

    private String table() {
        int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
        StringBuilder out = new StringBuilder();
        out.append(String.format("| %-" + width + "s | %10s |%n", "measure", "value"));
        out.append("|").append("-".repeat(width + 2)).append("|").append("-".repeat(12)).append("|\n");
        rows.forEach((name, value) -> out.append(String.format("| %-" + width + "s | %10s |%n", name, value)));
        return out.toString();
    }

    private static String format(double rate) {
        return String.format("%,.0f", rate);
    }

    private static String ratio(double ratio) {
        return String.format("%.2f", ratio);
    }

    private static String micros(Measured measured) {
        return String.format("%.1f", measured.cpuMicrosPerRecord());
    }

    /** A duration as the service's configuration writes it ({@code 1s}, {@code 500ms}, {@code PT1S}), in ms. */
    static long millis(String duration) {
        Matcher simple = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(duration.trim());
        if (!simple.matches()) {
            return Duration.parse(duration.trim()).toMillis();
        }
        long value = Long.parseLong(simple.group(1));
        String unit = simple.group(2) == null ? "s" : simple.group(2); // a bare number is seconds
        return switch (unit) {
            case "ms" -> value;
            case "s" -> value * 1000;
            case "m" -> value * 60_000;
            default -> value * 3_600_000;
        };
    }

    /**
     * The exactly-once window the zero-work runs had: the service's default unless {@code -Dbenchmark.service-env}
     * set {@code TRANSACTIONS_MAX_PENDING_RECORDS}.
     */
    private static String exactlyOnceWindow() {
        String configured = SERVICE_ENV.get("TRANSACTIONS_MAX_PENDING_RECORDS");
        return configured == null ? "default window" : "window " + configured + " (not the default)";
    }
}
