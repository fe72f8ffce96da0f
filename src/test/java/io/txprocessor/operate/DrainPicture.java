package io.txprocessor.operate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.ServiceProcess;

/**
 * One drain drawn as a timeline in a self-contained HTML page (inline SVG and CSS; no scripts, fonts or anything
 * else fetched): records in flight over time, the SIGTERM, the drain's deadline (SIGTERM + grace period - exit
 * margin), the SIGKILL the platform would send at the end of the grace period, the exit, and each record the
 * drain handed off (its SUSPENDED event) as a dot, coloured by partition. A legend and a short summary
 * (finished, suspended, exit status, drain duration) go with it.
 *
 * <p>
 * The samples come from a {@link Sampler} polling the service's {@code /q/metrics} while it drains; all instants
 * are wall-clock times of this machine, which the service shares.
 */
public final class DrainPicture {

    /** One reading of {@code transactions_in_flight}. */
    public record Sample(Instant at, double inFlight) {
    }

    /** A record the drain handed off, from its SUSPENDED state event. */
    public record Suspended(String id, int partition, long offset, Instant at) {

        /** From a state event as the service publishes it. */
        public static Suspended fromEvent(JsonNode event) {
            return new Suspended(event.path("id").asText(), event.path("partition").asInt(),
                    event.path("offset").asLong(), Instant.parse(event.path("at").asText()));
        }
    }

    /**
     * What the drain did, as its drain-report line says, with the status the process actually exited with.
     */
    public record Report(int inFlightAtStart, int finished, int suspended, int unpublished, Duration drainDuration,
            int exitStatus) {

        /** From the shutdown drain-report line, and the exit status the test observed. */
        public static Report fromDrainReport(JsonNode report, int exitStatus) {
            return new Report(report.path("inFlightAtStart").asInt(), report.path("finished").asInt(),
                    report.path("suspended").asInt(), report.path("unpublished").asInt(),
                    Duration.ofMillis(report.path("durationMs").asLong()), exitStatus);
        }
    }

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    /** Time shown before the SIGTERM, so the picture starts from the steady state. */
    private static final Duration LEAD = Duration.ofSeconds(3);
    private static final String IN_FLIGHT = "#1f6fb5";
    private static final String SIGTERM = "#e67e22";
    private static final String DEADLINE = "#c0392b";
    private static final String SIGKILL = "#6b0f0f";
    private static final String EXIT = "#2c3e50";
    /** Partition colours, chosen away from the markers' orange, reds and blue. */
    private static final String[] PARTITIONS = {"#7b1fa2", "#00897b", "#6d4c41", "#c2185b", "#827717", "#3949ab",
            "#546e7a", "#0097a7", "#689f38", "#a1887f"};

    // The drawing's geometry, in SVG user units (pixels at 100 % zoom).
    private static final int WIDTH = 1200;
    private static final int LEFT = 78;
    private static final int RIGHT = 24;
    private static final int LABEL_ROW = 17;
    private static final int PLOT_TOP = 64;
    private static final int PLOT_HEIGHT = 290;
    private static final int PLOT_BOTTOM = PLOT_TOP + PLOT_HEIGHT;
    private static final int LANE_TOP = PLOT_BOTTOM + 58;
    private static final int DOT = 6;
    private static final int DOT_PITCH = 8;
    private static final int DOT_ROWS = 8;
    private static final int LANE_HEIGHT = DOT_ROWS * DOT_PITCH + 16;
    private static final int HEIGHT = LANE_TOP + LANE_HEIGHT + 10;

    private final String title;
    private final List<Sample> samples;
    private final Instant sigterm;
    private final Instant deadline;
    private final Instant sigkill;
    private final Instant exit;
    private final List<Suspended> suspended;
    private final Report report;

    /**
     * @param title
     *            what is drawn, e.g. the test's name
     * @param samples
     *            {@code transactions_in_flight} readings, any order
     * @param sigterm
     *            when SIGTERM was sent
     * @param deadline
     *            the drain's deadline: SIGTERM + grace period - exit margin
     * @param sigkill
     *            the end of the grace period, when the platform sends SIGKILL
     * @param exit
     *            when the process exited
     * @param suspended
     *            the SUSPENDED events of this drain
     * @param report
     *            the drain's report
     */
    public DrainPicture(String title, List<Sample> samples, Instant sigterm, Instant deadline, Instant sigkill,
            Instant exit, List<Suspended> suspended, Report report) {
        this.title = title;
        this.samples = samples.stream().sorted(Comparator.comparing(Sample::at)).toList();
        this.sigterm = sigterm;
        this.deadline = deadline;
        this.sigkill = sigkill;
        this.exit = exit;
        this.suspended = suspended.stream().sorted(Comparator.comparing(Suspended::at)
                .thenComparing(Suspended::partition).thenComparing(Suspended::offset)).toList();
        this.report = report;
    }

    /** Writes the page, creating the directory if needed, and returns the file. */
    public Path writeTo(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, html(), StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** The whole page. */
    public String html() {
        StringBuilder page = new StringBuilder();
        page.append("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <title>%s</title>
                <style>
                  body { margin: 24px 32px; color: #1d2733; background: #ffffff;
                         font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
                  h1 { font-size: 22px; margin: 0 0 4px 0; }
                  p.headline { font-size: 15px; margin: 0 0 10px 0; max-width: 1180px; line-height: 1.4; }
                  svg { display: block; }
                  svg text { font-family: inherit; }
                  .legend { display: flex; flex-wrap: wrap; gap: 6px 22px; font-size: 13px; margin: 4px 0 12px 0;
                            max-width: 1190px; }
                  .legend span { display: inline-flex; align-items: center; gap: 6px; }
                  .summary { display: grid; grid-template-columns: repeat(3, max-content); gap: 6px 48px;
                             font-size: 14px; margin: 0; }
                  .summary dt { color: #5b6875; }
                  .summary dd { margin: 0 0 6px 0; font-weight: bold; }
                </style>
                </head>
                <body>
                """.formatted(escape("Drain: " + title)));
        page.append("<h1>").append(escape("Shutdown drain: " + title)).append("</h1>\n");
        page.append("<p class=\"headline\">").append(escape(headline())).append("</p>\n");
        page.append(svg());
        page.append(legend());
        page.append(summary());
        page.append("</body>\n</html>\n");
        return page.toString();
    }

    private String headline() {
        String exitPart = "the process exited with status %d, %s after SIGTERM and %s before SIGKILL".formatted(
                report.exitStatus(), seconds(Duration.between(sigterm, exit)),
                seconds(Duration.between(exit, sigkill)));
        if (report.suspended() == 0) {
            return "All %d records in flight at SIGTERM finished within the drain (%s); %s.".formatted(
                    report.inFlightAtStart(), seconds(report.drainDuration()), exitPart);
        }
        return "%d records were in flight at SIGTERM: %d finished within the drain and %d were handed off "
                .formatted(report.inFlightAtStart(), report.finished(), report.suspended())
                + "(SUSPENDED, for the partitions' next owner to run again) when the drain's time was up; "
                + exitPart + ".";
    }

    // ---- the drawing ------------------------------------------------------------------------------------------

    private String svg() {
        Instant start = samples.isEmpty() ? sigterm.minus(LEAD) : max(samples.get(0).at(), sigterm.minus(LEAD));
        Instant end = max(max(sigkill, exit), samples.isEmpty() ? exit : samples.get(samples.size() - 1).at())
                .plusMillis(600);
        Scale x = new Scale(start, end);
        double yMax = niceCeiling(Math.max(1, Math.max(report.inFlightAtStart(),
                samples.stream().mapToDouble(Sample::inFlight).max().orElse(0))));

        StringBuilder svg = new StringBuilder();
        svg.append(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n"
                        .formatted(WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<title>").append(escape(headline())).append("</title>\n");

        // Bands first, so that lines and marks are drawn over them.
        double sigtermX = x.at(sigterm);
        double exitX = x.at(exit);
        svg.append(rect(sigtermX, PLOT_TOP, exitX - sigtermX, LANE_TOP + LANE_HEIGHT - PLOT_TOP, "#f5a623", 0.07));
        svg.append(rect(x.at(deadline), PLOT_TOP, x.at(sigkill) - x.at(deadline), LANE_TOP + LANE_HEIGHT - PLOT_TOP,
                DEADLINE, 0.07));

        // Axes and grid.
        double yStep = niceStep(yMax, 6);
        for (double v = 0; v <= yMax + 1e-9; v += yStep) {
            double y = yAt(v, yMax);
            svg.append(line(LEFT, y, WIDTH - RIGHT, y, "#e3e7eb", 1, null));
            svg.append(text(LEFT - 8, y + 4, "end", 12, "#5b6875", format(v)));
        }
        double span = Duration.between(start, end).toMillis() / 1000.0;
        double xStep = niceStep(span, 14);
        double first = Math.ceil(-Duration.between(start, sigterm).toMillis() / 1000.0 / xStep) * xStep;
        for (double t = first; sigterm.plusMillis((long) (t * 1000)).isBefore(end); t += xStep) {
            double px = x.at(sigterm.plusMillis(Math.round(t * 1000)));
            svg.append(line(px, PLOT_BOTTOM, px, PLOT_BOTTOM + 5, "#5b6875", 1, null));
            svg.append(text(px, PLOT_BOTTOM + 19, "middle", 12, "#5b6875",
                    Math.abs(t) < 1e-9 ? "0" : (t > 0 ? "+" : "\u2212") + format(Math.abs(t)) + " s"));
        }
        svg.append(line(LEFT, PLOT_BOTTOM, WIDTH - RIGHT, PLOT_BOTTOM, "#5b6875", 1, null));
        svg.append(line(LEFT, PLOT_TOP, LEFT, PLOT_BOTTOM, "#5b6875", 1, null));
        svg.append(text(LEFT + (WIDTH - LEFT - RIGHT) / 2.0, PLOT_BOTTOM + 38, "middle", 13, "#5b6875",
                "seconds since SIGTERM (" + CLOCK.format(sigterm) + " UTC)"));
        svg.append(
                "<text x=\"18\" y=\"%s\" font-size=\"13\" fill=\"#5b6875\" text-anchor=\"middle\" transform=\"rotate(-90 18 %s)\">records in flight</text>\n"
                        .formatted(num(PLOT_TOP + PLOT_HEIGHT / 2.0), num(PLOT_TOP + PLOT_HEIGHT / 2.0)));

        // Markers: a vertical line each, under the data; labels in rows so that close ones do not overlap.
        List<Marker> markers = List.of(
                new Marker(sigterm, "SIGTERM", SIGTERM, null),
                new Marker(deadline, "deadline", DEADLINE, "7 5"),
                new Marker(sigkill, "SIGKILL", SIGKILL, null),
                new Marker(exit, "exit (status " + report.exitStatus() + ")", EXIT, null));
        List<Marker> sorted = markers.stream().sorted(Comparator.comparing(Marker::at)).toList();
        double[] xs = sorted.stream().mapToDouble(marker -> x.at(marker.at())).toArray();
        double[] widths = sorted.stream().mapToDouble(marker -> labelWidth(label(marker))).toArray();
        int[] placement = placeLabels(xs, widths);
        for (int i = 0; i < sorted.size(); i++) {
            Marker marker = sorted.get(i);
            int row = placement[i] / 2;
            boolean leftward = placement[i] % 2 == 1;
            double labelY = PLOT_TOP - 10 - row * LABEL_ROW;
            svg.append(line(xs[i], labelY + 4, xs[i], LANE_TOP + LANE_HEIGHT, marker.colour(), 2, marker.dash()));
            svg.append(text(leftward ? xs[i] - 5 : xs[i] + 5, labelY, leftward ? "end" : "start", 13,
                    marker.colour(), label(marker)));
        }
        // In flight: each reading holds until the next one.
        if (!samples.isEmpty()) {
            StringBuilder path = new StringBuilder();
            StringBuilder area = new StringBuilder();
            double px = x.at(samples.get(0).at());
            double py = yAt(samples.get(0).inFlight(), yMax);
            path.append("M").append(num(px)).append(' ').append(num(py));
            area.append("M").append(num(px)).append(' ').append(num(PLOT_BOTTOM)).append(" L").append(num(px))
                    .append(' ').append(num(py));
            for (Sample sample : samples.subList(1, samples.size())) {
                double nx = x.at(sample.at());
                double ny = yAt(sample.inFlight(), yMax);
                path.append(" H").append(num(nx)).append(" V").append(num(ny));
                area.append(" H").append(num(nx)).append(" V").append(num(ny));
                px = nx;
            }
            area.append(" V").append(num(PLOT_BOTTOM)).append(" Z");
            svg.append("<path d=\"%s\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\"/>\n".formatted(area,
                    IN_FLIGHT));
            svg.append("<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>\n"
                    .formatted(path, IN_FLIGHT));
            Sample last = samples.get(samples.size() - 1);
            // After the drain the HTTP server stops before the process exits: say so, or the gap looks like a
            // missing reading.
            double gap = exitX - px;
            if (gap > 110) {
                double middle = px + gap / 2;
                double noteY = Math.min(PLOT_BOTTOM - 34, yAt(last.inFlight(), yMax) - 34);
                svg.append(text(middle, noteY, "middle", 12, "#5b6875", "no readings:"));
                svg.append(text(middle, noteY + 15, "middle", 12, "#5b6875", "/q/metrics closed"));
            }
            svg.append(
                    "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\"><title>last reading: %s in flight at %s</title></circle>\n"
                            .formatted(num(px), num(yAt(last.inFlight(), yMax)), IN_FLIGHT, format(last.inFlight()),
                                    CLOCK.format(last.at())));
        }

        // The suspended records' lane.
        svg.append(line(LEFT, LANE_TOP - 6, WIDTH - RIGHT, LANE_TOP - 6, "#e3e7eb", 1, null));
        svg.append(text(LEFT + 6, LANE_TOP + 8, "start", 12, "#5b6875", "handed off (SUSPENDED):"));
        svg.append(text(LEFT + 6, LANE_TOP + 23, "start", 12, "#5b6875", "one dot per record"));
        svg.append(suspendedMarks(x));
        if (suspended.isEmpty()) {
            svg.append(text(x.at(exit) + 10, LANE_TOP + DOT_ROWS * DOT_PITCH / 2.0 + 4, "start", 13, "#1d2733",
                    "none: every record in flight finished"));
        }

        svg.append("</svg>\n");
        return svg.toString();
    }

    /**
     * One dot per suspended record. Records handed off at (nearly) the same moment, as a shutdown hands them all
     * off at once, form a block of dots centred on that moment, so each stays visible.
     */
    private String suspendedMarks(Scale x) {
        StringBuilder marks = new StringBuilder();
        List<List<Suspended>> clusters = new ArrayList<>();
        double clusterX = Double.NEGATIVE_INFINITY;
        for (Suspended record : suspended) {
            double px = x.at(record.at());
            if (clusters.isEmpty() || px - clusterX > 3) {
                clusters.add(new ArrayList<>());
                clusterX = px;
            }
            clusters.get(clusters.size() - 1).add(record);
        }
        for (List<Suspended> cluster : clusters) {
            double centre = x.at(cluster.get(0).at());
            int columns = (cluster.size() + DOT_ROWS - 1) / DOT_ROWS;
            int rows = Math.min(DOT_ROWS, cluster.size());
            double left = centre - (columns - 1) * DOT_PITCH / 2.0;
            double top = LANE_TOP + (DOT_ROWS - rows) * DOT_PITCH / 2.0;
            for (int i = 0; i < cluster.size(); i++) {
                Suspended record = cluster.get(i);
                double cx = left + (i / DOT_ROWS) * DOT_PITCH;
                double cy = top + (i % DOT_ROWS) * DOT_PITCH + DOT / 2.0;
                marks.append(
                        "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\"><title>%s: partition %d, offset %d, SUSPENDED at %s</title></circle>\n"
                                .formatted(num(cx), num(cy), num(DOT / 2.0), partitionColour(record.partition()),
                                        escape(record.id()), record.partition(), record.offset(),
                                        CLOCK.format(record.at())));
            }
            double right = left + (columns - 1) * DOT_PITCH + DOT;
            String label = cluster.size() == 1
                    ? "1 record " + offset(cluster.get(0).at())
                    : cluster.size() + " records " + offset(cluster.get(0).at());
            boolean leftward = right + 8 + label.length() * 7 > WIDTH - RIGHT;
            marks.append(text(leftward ? left - 10 : right + 8, LANE_TOP + DOT_ROWS * DOT_PITCH / 2.0 + 4,
                    leftward ? "end" : "start", 13, "#1d2733", label));
        }
        return marks.toString();
    }

    private String legend() {
        StringBuilder legend = new StringBuilder("<div class=\"legend\">\n");
        legend.append(swatch(
                "<rect x=\"0\" y=\"5\" width=\"26\" height=\"8\" fill=\"%s\" fill-opacity=\"0.25\"/><line x1=\"0\" y1=\"5\" x2=\"26\" y2=\"5\" stroke=\"%s\" stroke-width=\"2.5\"/>"
                        .formatted(IN_FLIGHT, IN_FLIGHT),
                "records in flight (transactions_in_flight, read every 50 ms)"));
        legend.append(swatch(vertical(SIGTERM, null), "SIGTERM: the drain starts, readiness DOWN"));
        legend.append(swatch(vertical(DEADLINE, "5 3"), "deadline: SIGTERM + grace period \u2212 exit margin"));
        legend.append(swatch(vertical(SIGKILL, null), "SIGKILL: SIGTERM + grace period"));
        legend.append(swatch(vertical(EXIT, null), "process exit"));
        legend.append(swatch("<rect x=\"0\" y=\"1\" width=\"26\" height=\"16\" fill=\"#f5a623\" fill-opacity=\"0.2\"/>",
                "draining (SIGTERM to exit)"));
        legend.append(swatch("<rect x=\"0\" y=\"1\" width=\"26\" height=\"16\" fill=\"%s\" fill-opacity=\"0.14\"/>"
                .formatted(DEADLINE), "exit margin (deadline to SIGKILL)"));
        Map<Integer, Integer> perPartition = new TreeMap<>();
        suspended.forEach(record -> perPartition.merge(record.partition(), 1, Integer::sum));
        perPartition.forEach((partition, count) -> legend.append(swatch(
                "<circle cx=\"13\" cy=\"9\" r=\"%s\" fill=\"%s\"/>".formatted(num(DOT / 2.0 + 0.5),
                        partitionColour(partition)),
                "SUSPENDED, partition %d (%d)".formatted(partition, count))));
        return legend.append("</div>\n").toString();
    }

    private String summary() {
        // Nine facts, three rows of three: what happened to the records, then the timing.
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("In flight at SIGTERM", Integer.toString(report.inFlightAtStart()));
        facts.put("Finished within the drain", Integer.toString(report.finished()));
        facts.put("Suspended (handed off)", report.suspended()
                + (suspended.isEmpty()
                        ? ""
                        : " on " + suspended.stream().map(Suspended::partition).distinct().count() + " partition(s)")
                + ", " + report.unpublished() + " unpublished");
        facts.put("Drain took", seconds(report.drainDuration()) + " of a "
                + seconds(Duration.between(sigterm, sigkill)) + " grace period");
        facts.put("Handed off at", suspended.isEmpty()
                ? "nothing to hand off"
                : offset(suspended.get(0).at()) + ", "
                        + seconds(Duration.between(suspended.get(0).at(), deadline)) + " before the deadline");
        facts.put("Deadline", offset(deadline) + " (" + CLOCK.format(deadline) + " UTC)");
        facts.put("Exit status", report.exitStatus() + (report.exitStatus() == 0
                ? " (everything finished)"
                : " (something was handed off)"));
        facts.put("SIGTERM \u2192 exit", seconds(Duration.between(sigterm, exit)) + ", "
                + seconds(Duration.between(exit, sigkill)) + " before SIGKILL");
        facts.put("In-flight readings", samples.size() + " from /q/metrics");
        StringBuilder html = new StringBuilder("<dl class=\"summary\">\n");
        facts.forEach((name, value) -> html.append("<div><dt>").append(escape(name)).append("</dt><dd>")
                .append(escape(value)).append("</dd></div>\n"));
        return html.append("</dl>\n").toString();
    }

    private String label(Marker marker) {
        return marker.label() + " " + offset(marker.at());
    }

    /** Rows above the plot for the markers' labels. */
    private static final int LABEL_ROWS = 3;

    /**
     * Where each marker's label goes, as {@code row * 2 + (leftward ? 1 : 0)}: the placement with the lowest rows
     * (and then the fewest labels to the left of their line) in which no two labels in a row overlap, no label
     * leaves the drawing, and no marker line crosses another marker's label. A line runs from its own label down,
     * so it may pass under labels in higher rows. Markers are few (four), so every placement is tried.
     */
    private static int[] placeLabels(double[] xs, double[] widths) {
        int n = xs.length;
        int options = LABEL_ROWS * 2;
        int[] best = new int[n];
        double bestCost = Double.MAX_VALUE;
        int[] candidate = new int[n];
        for (int combination = 0; combination < Math.pow(options, n); combination++) {
            int rest = combination;
            for (int i = 0; i < n; i++) {
                candidate[i] = rest % options;
                rest /= options;
            }
            double cost = 0;
            for (int i = 0; i < n; i++) {
                cost += candidate[i] / 2 * 10 + candidate[i] % 2;
                double from = candidate[i] % 2 == 1 ? xs[i] - widths[i] : xs[i];
                if (from < LEFT - 40 || from + widths[i] > WIDTH - RIGHT) {
                    cost += 1000;
                }
                for (int j = 0; j < n; j++) {
                    if (i == j) {
                        continue;
                    }
                    double otherFrom = candidate[j] % 2 == 1 ? xs[j] - widths[j] : xs[j];
                    boolean sameRow = candidate[i] / 2 == candidate[j] / 2;
                    if (sameRow && from < otherFrom + widths[j] + 8 && otherFrom < from + widths[i] + 8) {
                        cost += 1000;
                    }
                    boolean lineReaches = candidate[j] / 2 >= candidate[i] / 2;
                    if (lineReaches && xs[j] > from - 3 && xs[j] < from + widths[i] + 3) {
                        cost += 1000;
                    }
                }
            }
            if (cost < bestCost) {
                bestCost = cost;
                best = candidate.clone();
            }
        }
        return best;
    }

    /** About how wide a 13 px label is: wide enough that neighbours keep clear of it. */
    private static double labelWidth(String label) {
        return label.length() * 7.6 + 10;
    }

    // ---- small helpers ----------------------------------------------------------------------------------------

    private record Marker(Instant at, String label, String colour, String dash) {
    }

    /** Maps instants to x positions in the plot. */
    private static final class Scale {
        private final Instant start;
        private final double millis;

        Scale(Instant start, Instant end) {
            this.start = start;
            this.millis = Math.max(1, Duration.between(start, end).toMillis());
        }

        double at(Instant instant) {
            double share = Duration.between(start, instant).toNanos() / 1e6 / millis;
            return LEFT + Math.max(0, Math.min(1, share)) * (WIDTH - LEFT - RIGHT);
        }
    }

    private static double yAt(double value, double max) {
        return PLOT_BOTTOM - value / max * PLOT_HEIGHT;
    }

    private String offset(Instant at) {
        double s = Duration.between(sigterm, at).toMillis() / 1000.0;
        return (s < 0 ? "\u2212" : "+") + String.format(Locale.ROOT, "%.2f s", Math.abs(s));
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toMillis() / 1000.0);
    }

    private static String partitionColour(int partition) {
        return PARTITIONS[Math.floorMod(partition, PARTITIONS.length)];
    }

    private static String swatch(String svgContent, String label) {
        return "<span><svg width=\"26\" height=\"18\" viewBox=\"0 0 26 18\">" + svgContent + "</svg>"
                + escape(label) + "</span>\n";
    }

    private static String vertical(String colour, String dash) {
        return "<line x1=\"13\" y1=\"0\" x2=\"13\" y2=\"18\" stroke=\"%s\" stroke-width=\"2\"%s/>".formatted(colour,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String rect(double x, double y, double width, double height, String fill, double opacity) {
        return "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\" fill-opacity=\"%s\"/>\n".formatted(
                num(x), num(y), num(Math.max(0, width)), num(height), fill, num(opacity));
    }

    private static String line(double x1, double y1, double x2, double y2, String colour, double width,
            String dash) {
        return "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n".formatted(
                num(x1), num(y1), num(x2), num(y2), colour, num(width),
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String text(double x, double y, String anchor, int size, String colour, String content) {
        return "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">%s</text>\n".formatted(
                num(x), num(y), anchor, size, colour, escape(content));
    }

    private static String num(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    private static String format(double value) {
        return value == Math.rint(value)
                ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.1f", value);
    }

    /** The smallest of 1, 2, 2.5, 5 times a power of ten that gives at most {@code ticks} steps over the span. */
    private static double niceStep(double span, int ticks) {
        double raw = span / ticks;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double factor : new double[]{1, 2, 2.5, 5, 10}) {
            if (factor * power >= raw) {
                return factor * power;
            }
        }
        return 10 * power;
    }

    private static double niceCeiling(double value) {
        double step = niceStep(value, 5);
        return Math.ceil(value * 1.08 / step) * step;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * Reads {@code transactions_in_flight} from a running service about every {@code interval}, on a background
     * thread, until the process exits or {@link #close()} is called. Each reading is stamped with the middle of
     * its request, the best guess of when the service produced it.
     */
    public static final class Sampler implements AutoCloseable {

        private final ServiceProcess service;
        private final List<Sample> samples = new CopyOnWriteArrayList<>();
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final ScheduledExecutorService executor;

        private Sampler(ServiceProcess service) {
            this.service = service;
            this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "in-flight-sampler-" + service.name());
                thread.setDaemon(true);
                return thread;
            });
        }

        /** Starts sampling {@code service} every {@code interval} (between the end of one read and the next). */
        public static Sampler start(ServiceProcess service, Duration interval) {
            Sampler sampler = new Sampler(service);
            sampler.executor.scheduleWithFixedDelay(sampler::sample, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            return sampler;
        }

        private void sample() {
            if (!service.isAlive()) {
                stop();
                return;
            }
            long before = System.nanoTime();
            Instant wallBefore = Instant.now();
            service.metric("transactions_in_flight").ifPresent(value -> samples
                    .add(new Sample(wallBefore.plusNanos((System.nanoTime() - before) / 2), value)));
        }

        private void stop() {
            executor.shutdown();
            stopped.countDown();
        }

        /**
         * Waits until sampling has stopped (the process exited) and returns the readings; fails if it has not
         * within the timeout.
         */
        public List<Sample> awaitSamples(Duration timeout) {
            try {
                if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("the sampler of " + service.name() + " did not stop within " + timeout
                            + "; is the process still running?");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the sampler", e);
            }
            return samples();
        }

        /** How long the latest readings have all been {@code value}; zero if the latest is not. */
        public Duration steadyFor(double value) {
            List<Sample> readings = samples();
            Instant since = null;
            for (int i = readings.size() - 1; i >= 0 && readings.get(i).inFlight() == value; i--) {
                since = readings.get(i).at();
            }
            return since == null
                    ? Duration.ZERO
                    : Duration.between(since, readings.get(readings.size() - 1).at());
        }

        /** The readings so far, in the order they were taken. */
        public List<Sample> samples() {
            return List.copyOf(samples);
        }

        @Override
        public void close() {
            stop();
            executor.shutdownNow();
        }
    }
}
