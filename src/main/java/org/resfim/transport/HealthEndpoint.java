package org.resfim.transport;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.resfim.state.Jackson;

/**
 * The server's read-only health and progress endpoint for operators (off unless {@code server --health-port} is
 * given; it listens on 127.0.0.1 unless {@code --health-host} says otherwise): {@code GET /status} answers the
 * {@link ServerHealth} view as JSON, {@code GET /metrics} the same figures in Prometheus' text format. It answers
 * GET and HEAD only: any other method gets 405, so nothing can be changed through it; it has no TLS, so expose it
 * beyond the machine only behind something that adds it.
 */
public final class HealthEndpoint implements AutoCloseable {
    public static final String STATUS_PATH = "/status";
    public static final String METRICS_PATH = "/metrics";
    private static final ObjectWriter JSON = Jackson.PRETTY;

    private final HttpServer http;
    private final ExecutorService executor;
    private final String host;

    private HealthEndpoint(HttpServer http, ExecutorService executor, String host) {
        this.http = http;
        this.executor = executor;
        this.host = host;
    }

    /** Starts listening on {@code host:port} (0 = any free port) and answers with {@code view}'s current figures. */
    public static HealthEndpoint start(String host, int port, Supplier<JsonNode> view, EventLog log) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the health endpoint on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "health-endpoint");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", x -> answer(x, view));
        http.start();
        HealthEndpoint e = new HealthEndpoint(http, executor, host);
        log.info("health endpoint (read-only) on http://" + e.address() + STATUS_PATH + " (JSON) and " + METRICS_PATH + " (Prometheus)");
        return e;
    }

    /** The address it listens on, {@code host:port}, with the host as given (0.0.0.0 stays 0.0.0.0). */
    public String address() {
        return host + ":" + http.getAddress().getPort();
    }

    private static void answer(HttpExchange x, Supplier<JsonNode> view) throws IOException {
        try {
            String method = x.getRequestMethod();
            boolean head = method.equals("HEAD");
            if (!head && !method.equals("GET")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "text/plain; charset=utf-8", "read-only: " + LogText.clean(method, 20) + " is not allowed (GET or HEAD)\n", false);
                return;
            }
            String path = x.getRequestURI().getPath();
            switch (path) {
                case STATUS_PATH, STATUS_PATH + ".json" -> send(x, 200, "application/json", JSON.writeValueAsString(view.get()) + "\n", head);
                case METRICS_PATH -> send(x, 200, "text/plain; version=0.0.4; charset=utf-8", ServerHealth.prometheus(view.get()), head);
                case "/" -> send(x, 200, "text/plain; charset=utf-8", "ResFIM server: GET " + STATUS_PATH + " (JSON), GET " + METRICS_PATH
                        + " (Prometheus text format)\n", head);
                default -> send(x, 404, "text/plain; charset=utf-8", "not found: " + STATUS_PATH + " or " + METRICS_PATH + "\n", head);
            }
        } catch (RuntimeException e) {
            // a view that cannot be built must not end the endpoint's thread
            send(x, 500, "text/plain; charset=utf-8", "error: " + LogText.clean(String.valueOf(e.getMessage()), 200) + "\n", false);
        } finally {
            x.close();
        }
    }

    private static void send(HttpExchange x, int code, String type, String body, boolean head) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        if (head) {
            x.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            x.sendResponseHeaders(code, -1);
            return;
        }
        x.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
