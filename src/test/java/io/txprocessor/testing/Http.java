package io.txprocessor.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * GET requests to processes the tests run on this machine (the service, Prometheus) and to the application of a
 * {@code @QuarkusTest} ({@link InProcess}): one HTTP client for all of them.
 */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Http() {
    }

    /** GET {@code http://127.0.0.1:port + pathAndQuery}; empty when nothing answered in time. */
    public static Optional<HttpResponse<String>> get(int port, String pathAndQuery, Duration timeout) {
        return get("127.0.0.1", port, pathAndQuery, timeout);
    }

    /** GET {@code http://host:port + pathAndQuery}; empty when nothing answered in time. */
    public static Optional<HttpResponse<String>> get(String host, int port, String pathAndQuery, Duration timeout) {
        try {
            return Optional.of(send(URI.create("http://" + host + ":" + port + pathAndQuery), timeout));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** GET {@code uri}: the response whatever its status, the body as text. */
    public static HttpResponse<String> send(URI uri, Duration timeout) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(uri).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    }
}
