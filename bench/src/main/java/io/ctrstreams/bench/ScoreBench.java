package io.ctrstreams.bench;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.internal.MatMuls;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link ScorerBenchmark} and {@link PeakFlopsBenchmark} in process through the JMH Runner
 * API (one fork each, {@code -prof gc}) and reports ns per candidate, achieved GFLOP/s
 * ({@code 2 * flopsPerCandidate / ns}), its share of the FMA peak measured in the same run,
 * allocation per candidate, and low-rank/dense speedups. Used by {@code ctr bench-score}.
 */
public final class ScoreBench {

  /** One measured configuration. */
  public record Row(String arch, String variant, int batch, double nsPerOp, double allocBytesPerOp,
      long flopsPerCandidate, long multiplyAddsPerRequest, double adjacentPeakGflops) {
    /** A row whose request executes {@code model.multiplyAddsPerRequest(batch)}, no adjacent peak. */
    static Row of(String arch, String variant, int batch, double nsPerOp, double allocBytesPerOp) {
      CtrModel m = BenchModels.model(arch, "lowrank".equals(variant));
      return new Row(arch, variant, batch, nsPerOp, allocBytesPerOp, m.flopsPerCandidate(), m.multiplyAddsPerRequest(batch),
          Double.NaN);
    }

    /** This row with the FMA peak measured right before and after it (its share is taken of that). */
    Row withAdjacentPeak(double gflops) {
      return new Row(arch, variant, batch, nsPerOp, allocBytesPerOp, flopsPerCandidate, multiplyAddsPerRequest, gflops);
    }

    /** Nanoseconds per scored candidate. */
    public double nsPerCandidate() {
      return nsPerOp / batch;
    }

    /** Achieved GFLOP/s: 2 flops per multiply-add of the full forward pass. */
    public double gflops() {
      return 2.0 * flopsPerCandidate / nsPerCandidate();
    }

    /**
     * GFLOP/s of the flops the scorer executes (the context part once per request): what the
     * share of the FMA peak is taken of.
     */
    public double executedGflops() {
      return 2.0 * multiplyAddsPerRequest / nsPerOp;
    }

    /** Bytes allocated per candidate. */
    public double allocPerCandidate() {
      return allocBytesPerOp / batch;
    }
  }

  /** What to run. */
  public record Settings(List<String> archs, List<Integer> batches, boolean full, List<String> jvmArgs) {}

  private ScoreBench() {}

  /** Runs the benchmarks; {@code progress} gets one line per phase. Returns rows and the peak (GFLOP/s). */
  public static Result run(Settings s, PrintStream progress) throws RunnerException {
    ChainedOptionsBuilder ob = new OptionsBuilder()
        .include(ScorerBenchmark.class.getName() + "\\.score$")
        .include(PeakFlopsBenchmark.class.getName() + "\\.(fmaPeak|vectorPeak)$")
        .param("arch", s.archs().toArray(new String[0]))
        .param("variant", "dense", "lowrank")
        .param("batch", s.batches().stream().map(String::valueOf).toArray(String[]::new))
        .forks(1)
        .warmupIterations(s.full() ? 3 : 1)
        .warmupTime(s.full() ? TimeValue.seconds(2) : TimeValue.milliseconds(400))
        .measurementIterations(s.full() ? 5 : 2)
        .measurementTime(s.full() ? TimeValue.seconds(2) : TimeValue.milliseconds(400))
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .verbosity(VerboseMode.SILENT);
    if (!s.jvmArgs().isEmpty()) {
      ob.jvmArgsAppend(s.jvmArgs().toArray(new String[0]));
    }
    int configs = s.archs().size() * 2 * s.batches().size() + 2;
    progress.printf(Locale.ROOT, "running %d benchmark configurations (%s, 1 fork each, -prof gc) ...%n",
        configs, s.full() ? "full: 3x2s warmup, 5x2s measurement" : "quick: 1x0.4s warmup, 2x0.4s measurement");
    Collection<RunResult> results = new Runner(ob.build()).run();
    List<Row> rows = new ArrayList<>();
    double peakNs = Double.NaN;
    double vectorPeakNs = Double.NaN;
    for (RunResult rr : results) {
      String bench = rr.getParams().getBenchmark();
      double score = rr.getPrimaryResult().getScore();
      if (bench.endsWith("fmaPeak")) {
        peakNs = score;
        continue;
      }
      if (bench.endsWith("vectorPeak")) {
        vectorPeakNs = score;
        continue;
      }
      String arch = rr.getParams().getParam("arch");
      String variant = rr.getParams().getParam("variant");
      int batch = Integer.parseInt(rr.getParams().getParam("batch"));
      double alloc = Double.NaN;
      for (String key : new String[] {"gc.alloc.rate.norm", "\u00b7gc.alloc.rate.norm"}) {
        if (rr.getSecondaryResults().containsKey(key)) {
          alloc = rr.getSecondaryResults().get(key).getScore();
        }
      }
      rows.add(Row.of(arch, variant, batch, score, alloc));
    }
    return new Result(rows, PeakFlopsBenchmark.FLOPS_PER_OP / peakNs,
        PeakFlopsBenchmark.VECTOR_FLOPS_PER_OP / vectorPeakNs, kernels(s.jvmArgs()));
  }

  /**
   * Rows plus the FMA peaks in GFLOP/s (auto-vectorized Java loop; Vector API registers, NaN when
   * not measured) and the scorer kernels.
   */
  public record Result(List<Row> rows, double javaPeakGflops, double vectorPeakGflops, String kernels) {
    /** The higher of the two peaks: the share of peak is taken against it. */
    public double peakGflops() {
      return Double.isNaN(vectorPeakGflops) ? javaPeakGflops : Math.max(javaPeakGflops, vectorPeakGflops);
    }
  }

  /**
   * The kernels the benchmark forks use: this JVM's choice ({@code MatMuls}, the forks get the
   * incubator module from their {@code @Fork} arguments) unless {@code -Dctr.kernels=...} is
   * passed to them.
   */
  static String kernels(List<String> forkArgs) {
    for (String a : forkArgs) {
      if (a.startsWith("-D" + MatMuls.PROPERTY + "=")) {
        return a.substring(a.indexOf('=') + 1) + " (forced by " + a + ")";
      }
    }
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? MatMuls.describe()
        : "as chosen in the forks (they run with --add-modules jdk.incubator.vector)";
  }

  /** The report table. */
  public static String format(Result r) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "FMA peak (PeakFlopsBenchmark, one core): %.1f GFLOP/s", r.peakGflops()));
    if (!Double.isNaN(r.vectorPeakGflops())) {
      b.append(String.format(Locale.ROOT, " (auto-vectorized Java loop %.1f, Vector API registers %.1f; %% peak uses the"
          + " higher)", r.javaPeakGflops(), r.vectorPeakGflops()));
    }
    b.append(String.format(Locale.ROOT, "%nscorer kernels: %s%n%n", r.kernels()));
    boolean adjacent = r.rows().stream().anyMatch(row -> !Double.isNaN(row.adjacentPeakGflops()));
    b.append(String.format(Locale.ROOT, "%-6s %-8s %6s %12s %11s %11s %9s %12s %9s %9s%s%n", "arch", "variant", "batch",
        "ns/cand", "GFLOP/s", "exec GF/s", "% peak", "alloc B/cand", "MFLOP/c", "exec MF/c",
        adjacent ? String.format(Locale.ROOT, " %9s", "adj peak") : ""));
    for (Row row : r.rows()) {
      double peak = Double.isNaN(row.adjacentPeakGflops()) ? r.peakGflops() : row.adjacentPeakGflops();
      b.append(String.format(Locale.ROOT, "%-6s %-8s %6d %12.0f %11.1f %11.1f %8.1f%% %12.3f %9.3f %9.3f%s%n", row.arch(),
          row.variant(), row.batch(), row.nsPerCandidate(), row.gflops(), row.executedGflops(),
          100 * row.executedGflops() / peak, row.allocPerCandidate(), 2.0 * row.flopsPerCandidate() / 1e6,
          2.0 * row.multiplyAddsPerRequest() / row.batch() / 1e6,
          adjacent ? String.format(Locale.ROOT, " %9.1f", row.adjacentPeakGflops()) : ""));
    }
    b.append(String.format(Locale.ROOT, "%nlow-rank speedup per candidate (dense ns / low-rank ns):%n"));
    for (Row dense : r.rows()) {
      if (!dense.variant().equals("dense")) {
        continue;
      }
      for (Row lr : r.rows()) {
        if (lr.variant().equals("lowrank") && lr.arch().equals(dense.arch()) && lr.batch() == dense.batch()) {
          b.append(String.format(Locale.ROOT, "  %-6s batch %4d: %.2fx%n", dense.arch(), dense.batch(),
              dense.nsPerCandidate() / lr.nsPerCandidate()));
        }
      }
    }
    b.append(String.format(Locale.ROOT, "%nGFLOP/s counts the full forward pass per candidate (ModelGraph."
        + "multiplyAdds, MFLOP/c); the scorer computes the context part once per request, so at batch > 1 it "
        + "executes fewer (exec MF/c, CtrModel.multiplyAddsPerRequest / batch). exec GF/s and %% peak are of the "
        + "executed flops; %% peak is of the row's adjacent peak (adj peak: measured right before and after it) "
        + "where there is one, else of the peak above.%n"));
    return b.toString();
  }
}
