package io.ctrstreams.cli;

import io.ctrstreams.broker.BrokerException;
import io.ctrstreams.broker.EmbeddedKafkaBroker;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ctr broker}: runs a single-node KRaft Kafka broker in this process until Ctrl-C. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = "Run a single-node KRaft Kafka broker in process until Ctrl-C.")
public final class BrokerCommand implements Callable<Integer> {

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Client port (0 = pick a free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "0",
      description = "KRaft controller port (0 = pick a free port). Default: ${DEFAULT-VALUE}.")
  int controllerPort;

  @Option(
      names = "--log-dir",
      description = "Storage directory, kept on exit and reused on the next start. Default: a temp dir deleted on exit.")
  Path logDir;

  @Option(
      names = "--broker-property",
      paramLabel = "NAME=VALUE",
      description = "Extra broker property, repeatable (e.g. message.max.bytes=2097152).")
  Map<String, String> brokerProperties = Map.of();

  @Override
  public Integer call() throws InterruptedException {
    EmbeddedKafkaBroker.Builder b =
        EmbeddedKafkaBroker.builder()
            .port(port)
            .controllerPort(controllerPort)
            .brokerProperties(brokerProperties);
    if (logDir != null) {
      b.logDir(logDir);
    }
    EmbeddedKafkaBroker broker;
    try {
      broker = b.build().start();
    } catch (BrokerException | IllegalArgumentException e) {
      System.err.println("ctr broker: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "ctr-broker-shutdown"));
    System.out.println("Kafka broker running; bootstrap servers: " + broker.bootstrapServers());
    System.out.println("log dir: " + broker.logDir() + "  (Ctrl-C to stop)");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
