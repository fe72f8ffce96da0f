package io.txprocessor.testing;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What became of every produced transaction id, read from the state topic: the numbers the demo and the chaos
 * drill print, and the ones their pass criteria are about.
 *
 * @param produced ids written to the input topic
 * @param completed ids with at least one COMPLETED event
 * @param failed ids with a FAILED event (and no COMPLETED)
 * @param deadLettered records in the dead-letter topic
 * @param suspendedThenCompleted ids handed off at least once (SUSPENDED) and completed afterwards
 * @param completedMoreThanOnce ids with more than one COMPLETED event
 * @param lost produced ids with neither COMPLETED nor FAILED
 */
public record Audit(int produced, int completed, int failed, int deadLettered, int suspendedThenCompleted,
        Set<String> completedMoreThanOnce, Set<String> lost) {

    public static Audit of(Collection<String> producedIds, List<JsonNode> events, int deadLettered) {
        Map<String, Integer> completions = new HashMap<>();
        Set<String> failed = new HashSet<>();
        Set<String> suspended = new HashSet<>();
        for (JsonNode event : events) {
            String id = event.path("id").asText();
            switch (event.path("state").asText()) {
                case "COMPLETED" -> completions.merge(id, 1, Integer::sum);
                case "FAILED" -> failed.add(id);
                case "SUSPENDED" -> suspended.add(id);
                default -> throw new AssertionError("unknown state in " + event);
            }
        }
        Set<String> lost = new HashSet<>();
        for (String id : producedIds) {
            if (!completions.containsKey(id) && !failed.contains(id)) {
                lost.add(id);
            }
        }
        Set<String> twice = new HashSet<>();
        completions.forEach((id, count) -> {
            if (count > 1) {
                twice.add(id);
            }
        });
        failed.removeAll(completions.keySet());
        int suspendedThenCompleted = (int) suspended.stream().filter(completions::containsKey).count();
        return new Audit(producedIds.size(), completions.size(), failed.size(), deadLettered, suspendedThenCompleted,
                twice, lost);
    }

    /** The rows of the printed table, in order. */
    public Map<String, Object> rows() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("produced", produced);
        rows.put("completed", completed);
        rows.put("failed", failed);
        rows.put("dead-lettered", deadLettered);
        rows.put("suspended-then-completed", suspendedThenCompleted);
        rows.put("completed more than once", completedMoreThanOnce.size());
        rows.put("lost", lost.size());
        return rows;
    }

    /** A two-column text table. */
    public static String table(Map<String, Object> rows) {
        int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
        int valueWidth = Math.max(12,
                rows.values().stream().mapToInt(v -> String.valueOf(v).length()).max().orElse(12));
        StringBuilder out = new StringBuilder();
        String rule = "+" + "-".repeat(width + 2) + "+" + "-".repeat(valueWidth + 2) + "+\n";
        out.append(rule);
        rows.forEach((name, value) -> out
                .append(String.format("| %-" + width + "s | %" + valueWidth + "s |%n", name, value)));
        out.append(rule);
        return out.toString();
    }
}
