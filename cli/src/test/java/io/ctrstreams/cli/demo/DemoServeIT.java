package io.ctrstreams.cli.demo;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.server.ServeApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ctr demo --serve}: the server follows the live model, the printed curl line's request is
 * scored once the first compressed model is served, and served requests reach the label join's
 * input. Only a hang hits the deadline.
 */
@Tag("integration")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DemoServeIT {
  private static final Duration DEADLINE = Duration.ofMinutes(6);

  @Test
  void shouldServeThePrintedCurlRequestAndLogItForTheLabelJoin() throws Exception {
    DemoOptions o = new DemoOptions(0, 0, 100, null, Duration.ofSeconds(5), Duration.ofSeconds(12),
        3000, Duration.ofSeconds(10), 1000, "fixed", 2, 3.0, 42, false);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    String[] logged = new String[1];
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      DemoRunner runner = new DemoRunner(o, out).serve(0).beforeShutdown(bs -> {
        try {
          // read_uncommitted: the log's record is not transactional, and the topology's open
          // transaction on the same partition would hold a read_committed reader before it
          for (var r : io.ctrstreams.broker.testing.BrokerTestSupport.readAll(bs,
              "ctr-demo-topology-label-join-repartition", "read_uncommitted")) {
            LabelJoinEvent e = Schemas.LABEL_JOIN_EVENT.decode(r.value(), null);
            if (e.getServed() != null && e.getServed().getEventId().equals("curl-1")) {
              logged[0] = e.getServed().getModelName() + " v" + e.getServed().getModelVersion();
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      FutureTask<DemoSummary> run = new FutureTask<>(runner::run);
      new Thread(run, "demo-serve-it-runner").start();
      try {
        waitFor(() -> run.isDone() || text(buf).contains("  curl -s -X POST"), DEADLINE, "curl line printed");
        Matcher m = Pattern.compile("curl -s -X POST (\\S+) -H 'Content-Type: application/json' -d '(.*)'").matcher(text(buf));
        assertThat(m.find()).as(text(buf)).isTrue();
        String url = m.group(1);
        String body = m.group(2);
        HttpClient http = HttpClient.newHttpClient();
        ServeApp server = runner.server();
        waitFor(() -> run.isDone() || server.models().ready(), DEADLINE, "first compressed model served");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("{\"model\":\"ctr\",\"version\":").contains("\"adId\":\"ad-1\"", "\"adId\":\"ad-2\"");
        // the log is asynchronous: the demo stops (and reads the topic) once Kafka acknowledged it
        waitFor(() -> run.isDone() || MetricsView.scrape(server.metrics().registry())
            .counterWithLabel("ctr_impression_log_records", "outcome", "sent") >= 1, DEADLINE,
            "the served request acknowledged by Kafka");
        // the demo's own traffic: a share of the impressions is scored over REST, and their clicks
        // come back through the label join as labels of their own series (source="rpc")
        HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runner.metricsPort() + "/metrics")).build();
        Pattern rpcExamples = Pattern.compile("(?m)^ctr_online_examples\\{[^}]*source=\"rpc\"[^}]*variant=\"live\"[^}]*} (\\S+)$");
        waitFor(() -> run.isDone() || rpcLabeled(http, scrape, rpcExamples), DEADLINE, "labeled examples of RPC-served impressions in ctr_online_examples{source=\"rpc\"}");
      } finally {
        runner.stop();
        run.get(2, TimeUnit.MINUTES);
      }
    }
    assertThat(logged[0]).as("the curl request on the label join's input").startsWith("ctr v");
    // the summary's line for the RPC path (its labels were seen on /metrics above; the summary's
    // own reader of the labeled topic may not have reached them when the demo stopped)
    Matcher serve = Pattern.compile("serve: +(\\d+) impressions scored over REST \\((\\d+) failed\\); online AUC of the live"
        + " model on RPC-served .+ \\((\\d+) labeled\\), topology-served .+ \\((\\d+) labeled\\)").matcher(text(buf));
    assertThat(serve.find()).as(text(buf)).isTrue();
    assertThat(Long.parseLong(serve.group(1))).as("impressions sent over REST").isPositive();
    assertThat(Long.parseLong(serve.group(4))).as("labeled topology-served examples").isPositive();
  }

  private static boolean rpcLabeled(HttpClient http, HttpRequest scrape, Pattern rpcExamples) {
    try {
      Matcher m = rpcExamples.matcher(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body());
      return m.find() && Double.parseDouble(m.group(1)) > 0;
    } catch (java.io.IOException e) {
      return false; // the metrics server is not up yet: try again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String text(ByteArrayOutputStream buf) {
    return buf.toString(StandardCharsets.UTF_8);
  }
}
