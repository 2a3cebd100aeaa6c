package io.ctrstreams.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.sun.management.ThreadMXBean;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.internal.MatMuls;
import io.ctrstreams.onnx.OnnxExport;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The peer benchmark (issue 16): the same {@link BenchModels} scored by {@link CtrModel#scorer()}
 * and by ONNX Runtime running the graph of {@link OnnxExport} (stacked tables, the first layer's
 * context part once per request), in one JVM on one thread, timed by <b>thread CPU time</b>. ORT
 * runs with one intra-op thread (it then computes on the calling thread, so the thread CPU time
 * covers it), sequential execution and graph optimization level ALL.
 *
 * <p>Both sides get their best case: the scorer as in {@link ScorerBenchmark} (64 pre-encoded
 * candidates rotated over 8 pools); ORT with every input tensor created once, over direct
 * buffers it reads in place, and a pinned output tensor, so a call allocates no tensors. The
 * two sides are <b>interleaved</b>: each round times the scorer, then ORT, then the other way
 * round in the next, on the same requests, so drift in the machine's state (another process,
 * frequency) affects both; the median of the rounds is reported. Before timing, the two outputs
 * are compared (max |difference| of the pCTRs is printed; a difference above 1e-4 aborts).
 *
 * <p>ONNX Runtime (75 MB with its native libraries) is a dependency of this module only
 * ({@code optional}: it is in {@code bench/target/benchmarks.jar}, not in the {@code ctr}
 * launcher's jar nor in any service's class path); {@code ctr bench-score --peer} runs this class
 * from the benchmarks jar in a child JVM.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -Xmx2g -cp bench/target/benchmarks.jar
 * io.ctrstreams.bench.PeerBench [roundMs rounds warmupMs [archs [batches]]]}, e.g. {@code 500 7
 * 2000 DNN 1,16,256}.
 */
public final class PeerBench {
  private static final ThreadMXBean MX = (ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final int POOLS = 8;
  /** Largest |pCTR difference| accepted between the two sides before timing. */
  static final double MAX_DIFF = 1e-4;

  private PeerBench() {}

  /** One measured configuration: ns per candidate of both sides (medians of the rounds). */
  public record Row(String arch, String variant, int batch, double scorerNs, double ortNs, double maxDiff,
      long flopsPerCandidate, double ortProcessShare) {
    /** ORT time / scorer time: above 1 the scorer is faster. */
    public double ratio() {
      return ortNs / scorerNs;
    }
  }

  /** Runs every configuration. */
  public static void main(String[] args) throws OrtException {
    long roundMs = args.length > 0 ? Long.parseLong(args[0]) : 500;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    long warmupMs = args.length > 2 ? Long.parseLong(args[2]) : 2000;
    List<String> archs = args.length > 3 ? List.of(args[3].split(",")) : List.of("DNN");
    List<Integer> batches = args.length > 4 ? Arrays.stream(args[4].split(",")).map(Integer::valueOf).toList()
        : List.of(1, 16, 256);
    System.out.printf(Locale.ROOT, "peer benchmark: %s, batches %s, %d rounds of %d ms per side after %d ms warmup"
        + " (thread CPU time)%n", archs, batches, rounds, roundMs, warmupMs);
    List<Row> rows = new ArrayList<>();
    for (String arch : archs) {
      for (String variant : List.of("dense", "lowrank")) {
        CtrModel model = BenchModels.model(arch, "lowrank".equals(variant));
        byte[] onnx = OnnxExport.toBytes(model);
        for (int batch : batches) {
          Row r = measure(arch, variant, model, onnx, batch, roundMs, rounds, warmupMs);
          System.out.printf(Locale.ROOT, "  %s %s batch %d: scorer %.0f ns/cand, ORT %.0f ns/cand%n", arch, variant,
              batch, r.scorerNs(), r.ortNs());
          rows.add(r);
        }
      }
    }
    System.out.print(format(rows, MatMuls.describe(), OrtEnvironment.getEnvironment().getVersion()));
  }

  /** Both sides on one configuration, interleaved. */
  static Row measure(String arch, String variant, CtrModel model, byte[] onnx, int batch, long roundMs, int rounds,
      long warmupMs) throws OrtException {
    try (Side ours = new ScorerSide(model, batch); OrtSide ort = new OrtSide(model, onnx, batch)) {
      double diff = 0;
      for (int p = 0; p < POOLS; p++) {
        float[] a = ours.run().clone();
        float[] b = ort.run();
        for (int i = 0; i < batch; i++) {
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
      }
      if (!(diff <= MAX_DIFF)) {
        throw new IllegalStateException(model.name() + " batch " + batch + ": ORT and scorer pCTRs differ by " + diff);
      }
      time(ours, warmupMs, null);
      time(ort, warmupMs, null);
      double[] a = new double[rounds];
      double[] b = new double[rounds];
      double[] proc = new double[2];
      for (int r = 0; r < rounds; r++) {
        if (r % 2 == 0) {
          a[r] = time(ours, roundMs, null);
          b[r] = time(ort, roundMs, proc);
        } else {
          b[r] = time(ort, roundMs, proc);
          a[r] = time(ours, roundMs, null);
        }
      }
      Arrays.sort(a);
      Arrays.sort(b);
      return new Row(arch, variant, batch, a[rounds / 2] / batch, b[rounds / 2] / batch, diff,
          model.flopsPerCandidate(), proc[0] / proc[1]);
    }
  }

  /**
   * Thread CPU ns per request over {@code ms} of wall time; adds the process's and this thread's
   * CPU time to {@code proc[0]} and {@code proc[1]} when given (their ratio shows whether ORT did
   * its work on this thread: near 1, as JIT and GC threads add little).
   */
  private static double time(Side s, long ms, double[] proc) throws OrtException {
    long n = 0;
    long p0 = OS.getProcessCpuTime();
    long c0 = MX.getCurrentThreadCpuTime();
    long end = System.nanoTime() + ms * 1_000_000;
    while (System.nanoTime() < end) {
      s.run();
      n++;
    }
    long c = MX.getCurrentThreadCpuTime() - c0;
    if (proc != null) {
      proc[0] += OS.getProcessCpuTime() - p0;
      proc[1] += c;
    }
    return c / (double) n;
  }

  /** The report: both sides, the ratio and the GFLOP/s of the full forward pass. */
  public static String format(List<Row> rows, String kernels, String ortVersion) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%nscorer kernels: %s; ONNX Runtime %s (CPU, 1 intra-op thread, "
        + "optimization ALL), graph from OnnxExport%n%n", kernels, ortVersion));
    b.append(String.format(Locale.ROOT, "%-6s %-8s %6s %14s %14s %11s %10s %10s %9s %9s%n", "arch", "variant",
        "batch", "scorer ns/c", "ORT ns/c", "ORT/scorer", "scorer GF", "ORT GF", "max|dp|", "ORT p/t"));
    for (Row r : rows) {
      b.append(String.format(Locale.ROOT, "%-6s %-8s %6d %14.0f %14.0f %10.2fx %10.1f %10.1f %9.1e %9.2f%n",
          r.arch(), r.variant(), r.batch(), r.scorerNs(), r.ortNs(), r.ratio(),
          2.0 * r.flopsPerCandidate() / r.scorerNs(), 2.0 * r.flopsPerCandidate() / r.ortNs(), r.maxDiff(),
          r.ortProcessShare()));
    }
    b.append(String.format(Locale.ROOT, "%nORT/scorer above 1: this scorer is faster. GF = GFLOP/s of the full "
        + "forward pass per candidate (both sides compute the context part once per request, so at batch > 1 "
        + "they execute fewer flops than counted). ORT p/t = process / thread CPU time during the ORT rounds "
        + "(about 1: ORT computed on the timed thread).%n"));
    return b.toString();
  }

  /** One side of the comparison: scores the next pre-encoded request, returns its pCTRs. */
  private interface Side extends AutoCloseable {
    float[] run() throws OrtException;

    @Override
    void close() throws OrtException;
  }

  /** Pre-encoded requests of {@link ScorerBenchmark}'s shape: seeded, 8 pools. */
  private static final class Requests {
    final FeatureVector[] contexts = new FeatureVector[POOLS];
    final FeatureVector[][] pools;

    Requests(CtrModel model, int batch) {
      Random rnd = new Random(7);
      pools = new FeatureVector[POOLS][batch];
      for (int p = 0; p < POOLS; p++) {
        contexts[p] = BenchModels.vector(model.spec(), rnd);
        for (int i = 0; i < batch; i++) {
          pools[p][i] = BenchModels.vector(model.spec(), rnd);
        }
      }
    }
  }

  private static final class ScorerSide implements Side {
    private final Scorer s;
    private final Requests q;
    private final float[] out;
    private final int batch;
    private int next;

    ScorerSide(CtrModel model, int batch) {
      this.s = model.scorer();
      this.q = new Requests(model, batch);
      this.out = new float[batch];
      this.batch = batch;
    }

    @Override
    public float[] run() {
      int p = next;
      next = (p + 1) & (POOLS - 1);
      s.scoreBatch(q.contexts[p], q.pools[p], batch, out);
      return out;
    }

    @Override
    public void close() {}
  }

  /** The exported graph in an ORT session; all input tensors made once per pool. */
  private static final class OrtSide implements Side {
    private final OrtSession session;
    private final List<Map<String, OnnxTensor>> inputs = new ArrayList<>();
    private final List<OnnxTensor> open = new ArrayList<>();
    private final Map<String, OnnxValue> pinned;
    private final FloatBuffer outBuf;
    private final float[] out;
    private int next;

    OrtSide(CtrModel model, byte[] onnx, int batch) throws OrtException {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(onnx, o);
      }
      OnnxExport.Signature sig = OnnxExport.Signature.of(model.spec());
      Requests q = new Requests(model, batch);
      for (int p = 0; p < POOLS; p++) {
        Map<String, OnnxTensor> in = new HashMap<>();
        FeatureVector[] ctx = {q.contexts[p]};
        rows(env, in, OnnxExport.CONTEXT_INDEX, ctx, 1, sig.contextIndex());
        values(env, in, OnnxExport.CONTEXT_VALUE, ctx, 1, sig.contextValue());
        rows(env, in, OnnxExport.CANDIDATE_INDEX, q.pools[p], batch, sig.candidateIndex());
        values(env, in, OnnxExport.CANDIDATE_VALUE, q.pools[p], batch, sig.candidateValue());
        inputs.add(in);
      }
      outBuf = direct(4 * batch).asFloatBuffer();
      OnnxTensor outT = OnnxTensor.createTensor(env, outBuf, new long[] {batch});
      open.add(outT);
      pinned = Map.of(OnnxExport.PCTR, outT);
      out = new float[batch];
    }

    private void rows(OrtEnvironment env, Map<String, OnnxTensor> in, String name, FeatureVector[] v, int n,
        int[] fields) throws OrtException {
      if (fields.length == 0) {
        return;
      }
      LongBuffer b = direct(8 * n * fields.length).asLongBuffer();
      long[] row = new long[fields.length];
      for (int i = 0; i < n; i++) {
        OnnxExport.Signature.rows(v[i], fields, row, 0);
        b.put(row);
      }
      b.rewind();
      OnnxTensor t = OnnxTensor.createTensor(env, b, new long[] {n, fields.length});
      open.add(t);
      in.put(name, t);
    }

    private void values(OrtEnvironment env, Map<String, OnnxTensor> in, String name, FeatureVector[] v, int n,
        int[] fields) throws OrtException {
      if (fields.length == 0) {
        return;
      }
      FloatBuffer b = direct(4 * n * fields.length).asFloatBuffer();
      float[] row = new float[fields.length];
      for (int i = 0; i < n; i++) {
        OnnxExport.Signature.values(v[i], fields, row, 0);
        b.put(row);
      }
      b.rewind();
      OnnxTensor t = OnnxTensor.createTensor(env, b, new long[] {n, fields.length});
      open.add(t);
      in.put(name, t);
    }

    private static ByteBuffer direct(int bytes) {
      return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    @Override
    public float[] run() throws OrtException {
      int p = next;
      next = (p + 1) & (POOLS - 1);
      session.run(inputs.get(p), pinned).close();
      outBuf.get(0, out);
      return out;
    }

    @Override
    public void close() throws OrtException {
      for (OnnxTensor t : open) {
        t.close();
      }
      session.close();
    }
  }
}
