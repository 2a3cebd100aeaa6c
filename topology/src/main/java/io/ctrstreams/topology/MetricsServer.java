package io.ctrstreams.topology;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The HTTP endpoint: {@code /metrics} (Prometheus text format, client_java's exporter) and the
 * Kubernetes probes {@code /health/live} and {@code /health/ready}, answered from the current
 * {@link KafkaStreams.State}:
 *
 * <ul>
 *   <li>live: 200 unless the state is ERROR, PENDING_ERROR or NOT_RUNNING (a restart is the only
 *       way out of those), so a rebalance or a long restore never kills the pod;
 *   <li>ready: 200 only in RUNNING (REBALANCING and restoring instances take no traffic in the
 *       sense that their scores lag; a startupProbe covers long restores). The body also lists
 *       input partitions that no live owner makes progress on ({@link InputProgressMonitor}).
 * </ul>
 */
public final class MetricsServer implements AutoCloseable {
  private static final Set<KafkaStreams.State> DEAD =
      EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.NOT_RUNNING);

  private final HTTPServer server;

  private MetricsServer(HTTPServer server) {
    this.server = server;
  }

  /**
   * Starts the endpoint on {@code port} (0 = any free port).
   *
   * @param state current Streams state; null before the app is created
   */
  public static MetricsServer start(int port, PrometheusRegistry registry, Supplier<KafkaStreams.State> state)
      throws IOException {
    return start(port, registry, state, () -> "");
  }

  /**
   * As {@link #start(int, PrometheusRegistry, Supplier)}; {@code detail} adds lines to the
   * {@code /health/ready} body (e.g. {@link InputProgressMonitor#detail()}) without changing its
   * status: partitions no live owner serves are not this instance's failure.
   */
  public static MetricsServer start(int port, PrometheusRegistry registry, Supplier<KafkaStreams.State> state,
      Supplier<String> detail) throws IOException {
    return start(port, registry, state, detail, null);
  }

  /**
   * As {@link #start(int, PrometheusRegistry, Supplier, Supplier)}, also serving the live page
   * ({@code /}, no external assets) and its data ({@code /api/live}) from {@code live} when not
   * null.
   */
  public static MetricsServer start(int port, PrometheusRegistry registry, Supplier<KafkaStreams.State> state,
      Supplier<String> detail, LiveSeries live) throws IOException {
    HTTPServer s =
        HTTPServer.builder()
            .port(port)
            .registry(registry)
            .defaultHandler(new HealthHandler(state, detail, live))
            .buildAndStart();
    return new MetricsServer(s);
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Whether the app counts as alive in {@code state}. */
  public static boolean isLive(KafkaStreams.State state) {
    return state != null && !DEAD.contains(state);
  }

  /** Whether the app counts as ready in {@code state}. */
  public static boolean isReady(KafkaStreams.State state) {
    return state == KafkaStreams.State.RUNNING;
  }

  @Override
  public void close() {
    server.close();
  }

  /** Serves the probes; every other path gets a 404 with a pointer to /metrics. */
  private static final class HealthHandler implements HttpHandler {
    private final Supplier<KafkaStreams.State> state;
    private final Supplier<String> detail;
    private final LiveSeries live;

    HealthHandler(Supplier<KafkaStreams.State> state, Supplier<String> detail, LiveSeries live) {
      this.state = state;
      this.detail = detail;
      this.live = live;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
      try (ex) {
        String path = ex.getRequestURI().getPath();
        KafkaStreams.State s = state.get();
        int code;
        String body;
        if ("/health/live".equals(path)) {
          code = isLive(s) ? 200 : 503;
          body = "state=" + s + "\n";
        } else if ("/health/ready".equals(path)) {
          code = isReady(s) ? 200 : 503;
          body = "state=" + s + "\n" + detail.get();
        } else if (live != null && "/".equals(path)) {
          send(ex, 200, "text/html; charset=utf-8", page());
          return;
        } else if (live != null && "/api/live".equals(path)) {
          send(ex, 200, "application/json", live.json().getBytes(StandardCharsets.UTF_8));
          return;
        } else {
          code = 404;
          body = "not found: " + path + " (try /metrics, /health/live, /health/ready)\n";
        }
        send(ex, code, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
      }
    }

    private static void send(HttpExchange ex, int code, String type, byte[] b) throws IOException {
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(code, b.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(b);
      }
    }

    /** The live page, shipped in the jar. */
    private static byte[] page() throws IOException {
      try (var in = MetricsServer.class.getResourceAsStream("live.html")) {
        if (in == null) {
          throw new IOException("live.html missing from the jar");
        }
        return in.readAllBytes();
      }
    }
  }
}
