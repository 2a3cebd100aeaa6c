package io.ctrstreams.cli;

import io.ctrstreams.serving.ServiceConfig;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Option;

/**
 * The options and the foreground life of the long-running commands (topology, trainer,
 * recompressor): {@link ConfigOptions} plus {@code --metrics-port}; they run until Ctrl-C.
 */
public final class ServiceOptions extends ConfigOptions {
  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Port of the HTTP endpoint (/metrics; the topology's also /health/*): 0 = a free port, -1 = off."
          + " Default: metrics.port in --print-config-docs.")
  Integer metricsPort;

  @Override
  void putOptions(Map<String, Object> props) {
    putIf(props, ServiceConfig.METRICS_PORT_CONFIG, metricsPort);
  }

  /** The /metrics endpoint of {@code registry} when {@code config} enables it, else null. */
  static HTTPServer metricsEndpoint(ServiceConfig config, PrometheusRegistry registry) throws IOException {
    return config.metricsEnabled()
        ? HTTPServer.builder().port(config.metricsPort()).registry(registry).buildAndStart() : null;
  }

  /**
   * Prints {@code banner}, the address of {@code http} (may be null) and "Ctrl-C to stop", then
   * waits until the JVM shuts down; its shutdown hook closes {@code service}, then {@code http}.
   */
  void untilCtrlC(AutoCloseable service, HTTPServer http, String banner) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        service.close();
      } catch (Exception e) {
        System.err.println("ctr " + command.name() + ": closing failed: " + e);
      }
      if (http != null) {
        http.close();
      }
      stopped.countDown();
    }, "ctr-" + command.name() + "-shutdown"));
    System.out.println(banner);
    if (http != null) {
      System.out.println("metrics: http://localhost:" + http.getPort() + "/metrics");
    }
    System.out.println("Ctrl-C to stop");
    System.out.flush();
    stopped.await();
  }
}
