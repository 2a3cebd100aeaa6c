package io.ctrstreams.cli;

import io.ctrstreams.bench.ScoreBench;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ctr bench-score}: runs the scorer JMH benchmarks in process (dense vs low-rank, DNN and
 * DCN-V2, several batch sizes, plus the FMA peak) and prints ns per candidate, GFLOP/s, % of peak,
 * allocation and the low-rank/dense speedups. With {@code --peer}, the peer benchmark instead: the
 * same models scored by ONNX Runtime (the {@code ctr export-onnx} graph) and by this scorer,
 * interleaved on one thread, thread CPU time ({@code PeerBench}). ONNX Runtime is not in the
 * launcher's jar (a benchmark-only dependency, 75 MB): the peer benchmark runs in a child JVM from
 * {@code bench/target/benchmarks.jar}, which carries it.
 */
@Command(
    name = "bench-score",
    mixinStandardHelpOptions = true,
    description = {
        "Benchmark the CTR scorer: dense vs low-rank Criteo-shaped models (26 categorical + 13 numeric "
            + "fields, emb 16, MLP 400-400-400), DNN and DCN-V2, against a measured single-core FMA peak.",
        "Runs JMH in process with one fork per configuration and -prof gc. --quick (default) takes "
            + "under a minute; --full uses 3x2s warmup and 5x2s measurement.",
        "--peer: the same models, dense and low-rank, scored by ONNX Runtime (the export-onnx graph, one intra-op "
            + "thread, optimization ALL) and by this scorer, interleaved in one JVM on one thread, thread CPU time; "
            + "prints both and the ratio. Runs bench/target/benchmarks.jar (which carries ONNX Runtime; the ctr "
            + "launcher does not) in a child JVM."})
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
      description = "Candidates per request, comma-separated (default: 1,16 with --quick, 1,16,256 with --full or --peer).")
  List<Integer> batch;

  @Option(names = "--jvm-arg", description = "Extra JVM argument for the benchmark forks, repeatable "
      + "(e.g. --jvm-arg=-XX:MaxVectorSize=32).")
  List<String> jvmArgs = List.of();

  @Option(names = "--peer", description = "Run the peer benchmark against ONNX Runtime instead (see above).")
  boolean peer;

  @Option(names = "--bench-jar", description = "The benchmarks jar for --peer (default: bench/target/benchmarks.jar "
      + "of the source tree the ctr jar was built in).")
  Path benchJar;

  @Option(names = "--round-ms", description = "--peer: milliseconds per round and side (default: 300 with --quick, "
      + "1000 with --full).")
  Long roundMs;

  @Option(names = "--rounds", description = "--peer: rounds per configuration, the median is reported (default: 5 "
      + "with --quick, 7 with --full).")
  Integer rounds;

  @Option(names = "--warmup-ms", description = "--peer: warm-up milliseconds per side and configuration (default: "
      + "1000 with --quick, 3000 with --full).")
  Long warmupMs;

  @Spec CommandSpec spec;

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
      batch = full || peer ? List.of(1, 16, 256) : List.of(1, 16);
    }
    for (int b : batch) {
      if (b < 1) {
        System.err.println("--batch must be >= 1, found " + b);
        return 2;
      }
    }
    if (peer) {
      return peer(full);
    }
    ScoreBench.Result r = ScoreBench.run(new ScoreBench.Settings(arch, batch, full, jvmArgs), System.out);
    System.out.print(ScoreBench.format(r));
    return 0;
  }

  private int peer(boolean full) throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long round = roundMs != null ? roundMs : full ? 1000 : 300;
    int n = rounds != null ? rounds : full ? 7 : 5;
    long warm = warmupMs != null ? warmupMs : full ? 3000 : 1000;
    if (round < 1 || n < 1 || warm < 0) {
      err.println("--round-ms and --rounds must be >= 1 and --warmup-ms >= 0, found " + round + ", " + n + ", " + warm);
      return 2;
    }
    Path jar = benchJar != null ? benchJar : defaultBenchJar();
    if (jar == null || !Files.isRegularFile(jar)) {
      err.println("ctr bench-score --peer: benchmarks jar not found" + (jar == null ? "" : " at " + jar) + ".");
      err.println("ONNX Runtime is a benchmark-only dependency: it is in bench/target/benchmarks.jar, not in the ctr "
          + "launcher. Build it in the source tree (mvn -q -pl bench -am package -DskipTests) and run again, or "
          + "pass --bench-jar, or run it directly: java --add-modules jdk.incubator.vector -Xmx2g -cp "
          + "bench/target/benchmarks.jar io.ctrstreams.bench.PeerBench ROUND_MS ROUNDS WARMUP_MS DNN,DCNV2 1,16,256");
      err.flush();
      return 2;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-Xmx2g");
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", jar.toString(), "io.ctrstreams.bench.PeerBench", Long.toString(round),
        Integer.toString(n), Long.toString(warm), String.join(",", arch),
        batch.stream().map(String::valueOf).collect(Collectors.joining(","))));
    out.println("running the peer benchmark in a child JVM: " + String.join(" ", cmd));
    out.flush();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.println(line);
        out.flush();
      }
    }
    int code = p.waitFor();
    if (code != 0) {
      err.println("ctr bench-score --peer: the benchmark JVM exited with " + code);
      err.flush();
    }
    return code;
  }

  /** bench/target/benchmarks.jar of the tree whose cli/target holds this class (the ctr jar or classes/). */
  private static Path defaultBenchJar() {
    java.security.CodeSource src = BenchScoreCommand.class.getProtectionDomain().getCodeSource();
    if (src == null) {
      return null;
    }
    try {
      Path root = Path.of(src.getLocation().toURI()).toAbsolutePath();
      for (int i = 0; i < 3 && root != null; i++) {
        root = root.getParent(); // ctr.jar or classes/ -> target -> cli -> source tree
      }
      return root == null ? null : root.resolve("bench").resolve("target").resolve("benchmarks.jar");
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }
}
