package io.ctrstreams.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (the {@code prometheus} binary of the Debian package that ships
 * promtool) as a child process, scraping one target every second and loading the project's rule
 * file, for checking the dashboard's and the rules' queries against live data.
 */
final class PrometheusServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Process process;
  private final int port;
  private final Path log;

  private PrometheusServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts a server in {@code dir} scraping {@code target} (host:port) every second, with {@code rules} loaded. */
  static PrometheusServer start(File binary, Path dir, String target, List<Path> rules) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StringBuilder cfg = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n");
    for (Path r : rules) {
      cfg.append("  - ").append(r.toAbsolutePath()).append('\n');
    }
    cfg.append("scrape_configs:\n  - job_name: ctr-demo\n    static_configs:\n      - targets: ['").append(target).append("']\n");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, cfg);
    Path log = dir.resolve("prometheus.log");
    Process p = new ProcessBuilder(binary.getPath(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new PrometheusServer(p, port, log);
  }

  /** Whether the server answers its readiness endpoint. */
  boolean ready() {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** An instant query: the API's JSON answer ({@code status}, {@code data.result}, {@code error}). */
  JsonNode query(String expr) throws IOException, InterruptedException {
    return get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
  }

  /** A range query over the last {@code seconds}, one step per second. */
  JsonNode queryRange(String expr, long seconds) throws IOException, InterruptedException {
    long end = System.currentTimeMillis() / 1000;
    return get("/api/v1/query_range?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8) + "&start=" + (end - seconds)
        + "&end=" + end + "&step=1");
  }

  /** The rule groups the server loaded and their health ({@code /api/v1/rules}). */
  JsonNode rules() throws IOException, InterruptedException {
    return get("/api/v1/rules");
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  /** The server's log (for failure messages). */
  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
