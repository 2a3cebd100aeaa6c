package io.ctrstreams.cli;

import io.ctrstreams.bench.ScoreBench;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr bench-score}: runs the scorer JMH benchmarks in process (dense vs low-rank, DNN and
 * DCN-V2, several batch sizes, plus the FMA peak) and prints ns per candidate, GFLOP/s, % of peak,
 * allocation and the low-rank/dense speedups.
 */
@Command(
    name = "bench-score",
    mixinStandardHelpOptions = true,
    description = {
        "Benchmark the CTR scorer: dense vs low-rank Criteo-shaped models (26 categorical + 13 numeric "
            + "fields, emb 16, MLP 400-400-400), DNN and DCN-V2, against a measured single-core FMA peak.",
        "Runs JMH in process with one fork per configuration and -prof gc. --quick (default) takes "
            + "under a minute; --full uses 3x2s warmup and 5x2s measurement."})
public final class BenchScoreCommand implements Callable<Integer> {

  /** --quick or --full. */
  static final class Mode {
    @Option(names = "--quick", description = "Short run, under a minute (default).")
    boolean quick;

    @Option(names = "--full", description = "Full run: 3x2s warmup, 5x2s measurement per configuration.")
    boolean full;
  }

  @ArgGroup(exclusive = true)
  Mode mode;

  @Option(names = "--arch", split = ",", defaultValue = "DNN,DCNV2",
      description = "Architectures, comma-separated: DNN, DCNV2 (default: ${DEFAULT-VALUE}).")
  List<String> arch;

  @Option(names = "--batch", split = ",",
      description = "Candidates per request, comma-separated (default: 1,16 with --quick, 1,16,256 with --full).")
  List<Integer> batch;

  @Option(names = "--jvm-arg", description = "Extra JVM argument for the benchmark forks, repeatable "
      + "(e.g. --jvm-arg=-XX:MaxVectorSize=32).")
  List<String> jvmArgs = List.of();

  @Override
  public Integer call() throws Exception {
    for (String a : arch) {
      if (!a.equals("DNN") && !a.equals("DCNV2")) {
        System.err.println("--arch must be DNN or DCNV2, found " + a);
        return 2;
      }
    }
    boolean full = mode != null && mode.full;
    if (batch == null) {
      batch = full ? List.of(1, 16, 256) : List.of(1, 16);
    }
    for (int b : batch) {
      if (b < 1) {
        System.err.println("--batch must be >= 1, found " + b);
        return 2;
      }
    }
    ScoreBench.Result r = ScoreBench.run(new ScoreBench.Settings(arch, batch, full, jvmArgs), System.out);
    System.out.print(ScoreBench.format(r));
    return 0;
  }
}
