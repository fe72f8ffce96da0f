package io.txprocessor.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** HTTP for {@code @QuarkusTest}s: the application under test answers on a port Quarkus picked. */
public final class InProcess {

    private static final ObjectMapper JSON = new ObjectMapper();

    private InProcess() {
    }

    /** The response to a GET, whatever its status. */
    public static HttpResponse<String> get(URI uri) {
        try {
            return Http.send(uri, Duration.ofSeconds(10));
        } catch (IOException e) {
            throw new AssertionError("GET " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during GET " + uri, e);
        }
    }

    /** The check of the given name in a MicroProfile Health answer. */
    public static JsonNode check(HttpResponse<String> health, String name) {
        try {
            for (JsonNode check : JSON.readTree(health.body()).path("checks")) {
                if (name.equals(check.path("name").asText())) {
                    return check;
                }
            }
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + health.body(), e);
        }
        throw new AssertionError("no check named " + name + " in " + health.body());
    }
}
