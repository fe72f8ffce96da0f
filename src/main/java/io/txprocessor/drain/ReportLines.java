package io.txprocessor.drain;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The drains' one-line JSON log lines, category {@code drain-report}, which the console prints bare (see
 * application.properties) so that collectors parse them: the report of each drain, and one line for each record
 * handed off whose state did not become visible, so that nothing about a handed-off record is silently dropped.
 */
@ApplicationScoped
public class ReportLines {

    private static final Logger REPORT = Logger.getLogger("drain-report");

    private final ObjectMapper mapper;

    public ReportLines(ObjectMapper mapper) {
        this.mapper = mapper;
        // Jackson introspects a type on its first use: ~20 ms measured for the report, which would otherwise be
        // spent inside the first (and only) shutdown drain.
        json(new DrainReport("drain-report", Trigger.SHUTDOWN.tag(), Instant.EPOCH, 0, 0, 0, 0, 0, 0, Map.of(), null,
                null, null, new ReserveReport("auto", 0, 0, 0, 0, "", new ReserveReport.Figures(0, 0, 0),
                        new ReserveReport.Figures(0, 0, 0))));
    }

    /** What one drain did. */
    public void report(DrainReport report) {
        REPORT.info(json(report));
    }

    /** A SUSPENDED event (or, for lost partitions, the state) that did not become visible, and why. */
    public void unpublishedState(Object event, String why) {
        REPORT.info(json(line("unpublished-state", event, why)));
    }

    /** An outcome handed off unconfirmed: whether the broker has it is unknown; the next owner processes it again. */
    public void unconfirmedOutcome(String outcome, String why) {
        REPORT.info(json(line("unconfirmed-outcome", outcome, why)));
    }

    private static Map<String, Object> line(String event, Object subject, String error) {
        Map<String, Object> line = new LinkedHashMap<>(); // "event" first, for whoever greps the log
        line.put("event", event);
        line.put("state", subject);
        line.put("error", error);
        return line;
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }
}
