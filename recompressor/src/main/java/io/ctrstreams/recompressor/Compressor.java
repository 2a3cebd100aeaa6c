package io.ctrstreams.recompressor;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Embedding;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.LowRankEmbedding;
import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.recompressor.internal.BatchNet;
import io.ctrstreams.recompressor.internal.Densify;
import io.ctrstreams.recompressor.internal.Stages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a low-rank model from a full one (Unified Low-rank Compression Framework, KDD 2024):
 * embeddings first (frequency-weighted PCA per field), then the DCN-V2 cross layers, then the
 * hidden layers, each IN ORDER so that a layer's statistics are taken through the already
 * compressed layers before it (its input is what the student will really feed it). The output
 * unit and DeepFM first-order weights stay dense.
 *
 * <p>All calibration rows are pushed through at once with batched GEMMs; activations are held for
 * every row ({@code rows x width x 4} bytes, about 250 MB per array at 100k rows and width 624).
 */
public record Compressor(CompressionMethod method, Linalg linalg) {

  /** Compresses {@code teacher} to {@code plan} using all rows of {@code calib}. */
  public CompressionResult compress(CtrModel teacher, Calibration calib, RankPlan plan) {
    long t0 = System.nanoTime();
    Stages st = new Stages();
    CtrModel dense = Densify.dense(teacher);
    ModelSpec spec = dense.spec();
    plan.check(spec);
    calib.check(spec);
    if (calib.rows() == 0) {
      throw new RecompressorException("compressing model " + teacher.name() + " needs calibration rows, found none");
    }
    int n = calib.rows();
    int nf = spec.fieldCount();
    BatchNet net = BatchNet.of(dense);
    List<LayerReport> reports = new ArrayList<>();
    EmbeddingFactors[] ef = new EmbeddingFactors[nf];
    int[] ranks = plan.embeddingRanks();
    for (int f = 0; f < nf; f++) {
      if (ranks[f] == 0) {
        continue;
      }
      FieldSpec fs = spec.field(f);
      float[] table = ((Embedding) net.input(f)).table().data();
      int rows = fs.rows();
      int d = fs.embeddingDim();
      double[] counts = calib.rowCounts(f, rows);
      ProjectionBasis basis = method == CompressionMethod.AFM
          ? EmbeddingCompression.afmBasis(table, rows, d, counts, linalg)
          : EmbeddingCompression.svdBasis(table, rows, d, linalg);
      EmbeddingFactors fac = EmbeddingCompression.factors(basis, ranks[f], table, rows);
      ef[f] = fac;
      String p = "emb/" + fs.name();
      net = net.withInput(f, new LowRankEmbedding(new Tensor(p + "/table", new int[] {rows, fac.rank()}, fac.table()),
          new Tensor(p + "/proj", new int[] {fac.rank(), d}, transpose(fac.up(), d, fac.rank())),
          new Tensor(p + "/bias", new int[] {d}, fac.bias())));
      reports.add(new LayerReport("emb/" + fs.name(), rows + " x " + d, fac.rank(), 4L * rows * d,
          plan.fold() ? 4L * rows * fac.rank() : fac.bytes(), 0, plan.fold() ? 0 : 2L * fac.rank() * d,
          fac.retainedEnergy(), embeddingError(table, fac, counts)));
    }

    st.end("embeddings");
    float[] x0 = net.embed(calib, 0, n);
    st.end("x0");
    float[] xl = x0;
    for (int i = 0; i < net.crossLayers(); i++) {
      Step s = forward((Linear) net.cross(i), xl, n, plan.crossRanks()[i], "cross/" + i, reports, st);
      net = net.withCross(i, s.layer);
      xl = BatchNet.crossStep(x0, xl, s.output);
    }
    boolean stacked = spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.STACKED;
    float[] h = stacked ? xl : x0;
    xl = null;
    for (int i = 0; i < net.mlpLayers(); i++) {
      Step s = forward((Linear) net.mlp(i), h, n, plan.mlpRanks()[i], "mlp/" + i, reports, st);
      net = net.withMlp(i, s.layer);
      h = s.output;
      LayerPlan.relu(h, h.length);
    }
    CtrModel student = build(dense, net, ef, plan);
    st.end("build");
    // Per-layer byte/FLOP figures after folding come from the final tensors.
    List<LayerReport> finalReports = new ArrayList<>();
    for (LayerReport l : reports) {
      finalReports.add(l.layer().equals("mlp/0") && plan.fold() ? refold(l, student) : l);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new CompressionResult(student, plan, method, finalReports, 4L * teacher.parameterCount(),
        4L * student.parameterCount(), 2L * teacher.flopsPerCandidate(), 2L * student.flopsPerCandidate(), seconds,
        st.seconds());
  }

  private static LayerReport refold(LayerReport l, CtrModel student) {
    long bytes = 0;
    for (Tensor t : student.tensors()) {
      if (t.name().startsWith("mlp/0/")) {
        bytes += 4L * t.size();
      }
    }
    int in = student.spec().firstLayerInputWidth();
    int out = student.spec().mlpSize(0);
    return new LayerReport(l.layer(), l.shape() + " (folded in " + in + ")", l.rank(), l.bytesBefore(), bytes,
        l.flopsBefore(), 2L * l.rank() * (in + out), l.retainedEnergy(), l.outputError());
  }

  private record Step(AffineLayer layer, float[] output) {}

  /** Runs dense layer {@code a} on {@code x}; compresses it to {@code rank} unless that is 0 (keep dense). */
  private Step forward(Linear a, float[] x, int n, int rank, String name, List<LayerReport> reports, Stages st) {
    float[] y = BatchNet.apply(a, x, n);
    st.end("forward");
    return rank > 0 ? compressLayer(a, x, y, n, rank, name, reports, st) : new Step(a, y);
  }

  private Step compressLayer(Linear a, float[] x, float[] y, int n, int rank, String name,
      List<LayerReport> reports, Stages st) {
    int out = a.outputSize();
    int in = a.inputSize();
    ProjectionBasis basis;
    if (method == CompressionMethod.AFM) {
      OutputStatistics stats = new OutputStatistics(out, linalg);
      stats.add(y, 0, n);
      basis = Afm.basis(stats);
    } else {
      basis = WeightSvd.basis(a.weight().data(), a.bias().data(), out, in, linalg);
    }
    LinearFactors f = basis.factors(rank, a.weight().data(), a.bias().data(), in);
    st.end("statistics+eigen");
    LowRankLinear layer = f.layer(false);
    float[] yHat = BatchNet.apply(layer, x, n);
    st.end("forward");
    reports.add(new LayerReport(name, out + " x " + in, rank, LinearFactors.denseBytes(out, in), f.bytes(),
        LinearFactors.denseFlops(out, in), f.flops(), basis.retainedEnergy(rank), relativeError(y, yHat, n, out)));
    st.end("report");
    return new Step(layer, yHat);
  }

  /** {@code sum ||y - y_hat||^2 / sum ||y - mean(y)||^2} over n rows of width w. */
  static double relativeError(float[] y, float[] yHat, int n, int w) {
    double[] mu = new double[w];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < w; j++) {
        mu[j] += y[r * w + j];
      }
    }
    for (int j = 0; j < w; j++) {
      mu[j] /= n;
    }
    double err = 0;
    double tot = 0;
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < w; j++) {
        double d = y[r * w + j] - yHat[r * w + j];
        double c = y[r * w + j] - mu[j];
        err += d * d;
        tot += c * c;
      }
    }
    return tot == 0 ? 0 : err / tot;
  }

  /** Frequency-weighted relative error of the reconstructed table (uniform weights without traffic). */
  static double embeddingError(float[] table, EmbeddingFactors f, double[] counts) {
    int d = f.dim();
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    double[] mu = new double[d];
    double w = 0;
    for (int v = 0; v < f.vocab(); v++) {
      double c = total > 0 ? counts[v] : 1;
      w += c;
      for (int j = 0; j < d; j++) {
        mu[j] += c * table[v * d + j];
      }
    }
    for (int j = 0; j < d; j++) {
      mu[j] /= w;
    }
    float[] e = new float[d];
    double err = 0;
    double tot = 0;
    for (int v = 0; v < f.vocab(); v++) {
      double c = total > 0 ? counts[v] : 1;
      if (c == 0) {
        continue;
      }
      f.lookup(v, e, 0);
      for (int j = 0; j < d; j++) {
        double x = table[v * d + j];
        err += c * (x - e[j]) * (x - e[j]);
        tot += c * (x - mu[j]) * (x - mu[j]);
      }
    }
    return tot == 0 ? 0 : err / tot;
  }

  private CtrModel build(CtrModel dense, BatchNet net, EmbeddingFactors[] ef, RankPlan plan) {
    ModelSpec spec = dense.spec();
    LowRankConfig cfg = plan.toLowRankConfig(spec);
    ModelSpec target = spec.toBuilder().lowRank(cfg).build();
    boolean fold = target.isFolded();
    Map<String, Tensor> t = new LinkedHashMap<>();
    List<EmbeddingFactors> segments = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    int off = 0;
    for (int f = 0; f < spec.fieldCount(); f++) {
      String p = "emb/" + spec.field(f).name();
      EmbeddingFactors fac = ef[f];
      if (fac == null) {
        t.put(p, dense.tensor(p));
      } else {
        t.put(p + "/table", new Tensor(p + "/table", new int[] {fac.vocab(), fac.rank()}, fac.table()));
        if (!fold) {
          t.put(p + "/proj", new Tensor(p + "/proj", new int[] {fac.rank(), fac.dim()},
              transpose(fac.up(), fac.dim(), fac.rank())));
          t.put(p + "/bias", new Tensor(p + "/bias", new int[] {fac.dim()}, fac.bias()));
        } else {
          segments.add(fac);
          offsets.add(off);
        }
      }
      off += spec.field(f).embeddingDim();
    }
    for (String name : dense.tensorMap().keySet()) {
      if (name.startsWith("fm/")) {
        t.put(name, dense.tensor(name));
      }
    }
    int[] segOff = offsets.stream().mapToInt(Integer::intValue).toArray();
    EmbeddingFactors[] segs = segments.toArray(new EmbeddingFactors[0]);
    for (int i = 0; i < net.mlpLayers(); i++) {
      putLayer(t, "mlp/" + i, net.mlp(i), fold && i == 0 ? target.firstLayerInputWidth() : 0, segOff, segs, "d");
    }
    for (int i = 0; i < net.crossLayers(); i++) {
      putLayer(t, "cross/" + i, net.cross(i), 0, segOff, segs, "b");
    }
    t.put("out/w", dense.tensor("out/w"));
    t.put("out/b", dense.tensor("out/b"));
    Map<String, String> meta = new LinkedHashMap<>(dense.metadata());
    meta.put("compressed-from", dense.name() + " v" + dense.version());
    meta.put("compression-method", method.label());
    meta.put("compression-plan", plan.toString());
    return CtrModel.create(target, dense.name(), dense.version(), t, dense.vocabularies(), meta);
  }

  /**
   * Puts the tensors of layer {@code a} under {@code p}. With {@code foldedIn > 0} the embedding
   * projections {@code segs} are folded into it first, which makes its input {@code foldedIn} wide.
   */
  private static void putLayer(Map<String, Tensor> t, String p, AffineLayer a, int foldedIn, int[] segOff,
      EmbeddingFactors[] segs, String outBias) {
    int in = foldedIn > 0 ? foldedIn : a.inputSize();
    if (a instanceof Linear d) {
      float[][] wb = folded(d.weight().data(), d.bias().data(), d.outputSize(), d.inputSize(), foldedIn, segOff, segs);
      t.put(p + "/w", new Tensor(p + "/w", new int[] {d.outputSize(), in}, wb[0]));
      t.put(p + "/b", new Tensor(p + "/b", new int[] {d.outputSize()}, wb[1]));
      return;
    }
    LowRankLinear f = (LowRankLinear) a;
    float[][] vc = folded(f.v().data(), f.c().data(), f.rank(), f.inputSize(), foldedIn, segOff, segs);
    t.put(p + "/v", new Tensor(p + "/v", new int[] {f.rank(), in}, vc[0]));
    t.put(p + "/c", new Tensor(p + "/c", new int[] {f.rank()}, vc[1]));
    t.put(p + "/u", new Tensor(p + "/u", new int[] {f.outputSize(), f.rank()}, f.u().data()));
    t.put(p + "/" + outBias, new Tensor(p + "/" + outBias, new int[] {f.outputSize()}, f.d().data()));
  }

  /** {@code {w, b}} of a {@code rows x in} map, with the embedding projections folded in if {@code foldedIn > 0}. */
  private static float[][] folded(float[] w, float[] b, int rows, int in, int foldedIn, int[] segOff,
      EmbeddingFactors[] segs) {
    return foldedIn > 0 ? EmbeddingCompression.foldIntoFirstLayer(w, b, rows, in, segOff, segs) : new float[][] {w, b};
  }

  static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }
}
