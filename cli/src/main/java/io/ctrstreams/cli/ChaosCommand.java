package io.ctrstreams.cli;

import io.ctrstreams.loadtest.LoadTestMain;
import io.ctrstreams.loadtest.chaos.ChaosReport;
import io.ctrstreams.loadtest.chaos.FaultSuite;
import io.ctrstreams.loadtest.chaos.FaultSuite.Fault;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr chaos}: the fault suite ({@link FaultSuite}): a broker and {@code ctr topology}
 * services in child JVMs under kill -9, failover, hostile records and a corrupt model, with a
 * table of what was lost, duplicated or crashed and how long recovery took. Exit code 1 when any
 * case failed.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = {
        "Fault suite: runs a KRaft broker and ctr topology instances as child JVMs on 127.0.0.1, produces "
            + "impressions through each fault and counts every committed score (read_committed): lost "
            + "(impressions without a score), duplicated (candidates with more than one), crashed (a service "
            + "that died or a stream thread in ERROR) and the time to recover (fault -> first new score on "
            + "every partition; and -> every impression scored).",
        "Cases: topology-kill9, broker-kill9, failover, poison-1mb, malformed-json, deep-nesting, corrupt-model. "
            + "Exit code 1 when any case lost, duplicated, crashed or missed its check. All cases take a few minutes."})
public final class ChaosCommand implements Callable<Integer> {

  @Option(names = "--cases", split = ",", paramLabel = "CASE",
      description = "Comma-separated subset of the cases (default: all).")
  List<String> cases;

  @Option(names = "--impressions", paramLabel = "N", defaultValue = "2000",
      description = "Impressions per case at least; production goes on until the case recovered (default: ${DEFAULT-VALUE}).")
  int impressions;

  @Option(names = "--rate", paramLabel = "IMPR_PER_S", defaultValue = "200",
      description = "Impressions produced per second during a case (default: ${DEFAULT-VALUE}).")
  double rate;

  @Override
  public Integer call() throws InterruptedException {
    FaultSuite.Settings s;
    try {
      List<Fault> faults = new ArrayList<>();
      if (cases == null || cases.isEmpty()) {
        faults.addAll(Arrays.asList(Fault.values()));
      } else {
        for (String c : cases) {
          faults.add(Fault.of(c.trim()));
        }
      }
      s = new FaultSuite.Settings(faults, impressions, rate, FaultSuite.CTR_MAIN);
    } catch (IllegalArgumentException e) {
      System.err.println("ctr chaos: " + e.getMessage());
      return 2;
    }
    LoadTestMain.quietLogs();
    ChaosReport r = FaultSuite.run(s, System.out);
    System.out.println();
    System.out.print(r.format());
    return r.failed() ? 1 : 0;
  }
}
