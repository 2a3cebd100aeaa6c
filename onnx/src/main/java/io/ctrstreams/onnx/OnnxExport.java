package io.ctrstreams.onnx;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Embedding;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldInput;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankEmbedding;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.onnx.internal.OnnxGraph;
import io.ctrstreams.onnx.internal.OnnxGraph.Attr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Exports a {@link CtrModel} as an ONNX model (IR version 8, opset 17) that computes the same
 * logits as {@link CtrModel#scorer()} for one request: one context and a batch of N candidates.
 * Every architecture (DNN, DeepFM, DCN-V2 stacked or parallel) and every layer form (dense,
 * low-rank with or without a ReLU between the factors, low-rank embeddings folded into the first
 * layer or not) is exported; the tests run each graph in ONNX Runtime against the scorer.
 *
 * <p>The graph has the layout of the optimized scorer ({@code FastScorer}):
 *
 * <ul>
 *   <li><b>Stacked tables.</b> The embedding tables of all lookup fields of one kind and width
 *       (dense tables, or low-rank factor tables of one rank) are stacked into one initializer and
 *       read with one {@code Gather} per role; per-field row offsets are added to the input rows
 *       in the graph. A low-rank (not folded) group is projected with one {@code Gemm} by the
 *       block-diagonal matrix of its fields' projections. SCALED fields are one {@code MatMul}
 *       of their values by the block-diagonal matrix of their vectors.
 *   <li><b>Context once per request.</b> x0 is laid out context fields first; the first layer
 *       that reads x0 (first MLP layer, first cross map, or the output unit when there is no MLP)
 *       has its weights split by rows: {@code pc = b + x_ctx W_ctx} is computed once, on a batch
 *       of one, and each candidate adds {@code x_cand W_cand} ({@code Gemm} with {@code pc} as its
 *       broadcast bias). DeepFM's pairwise and first-order terms are split the same way. DCN-V2's
 *       cross layers need the whole x0 ({@code x0 * z + xl}), so the context row is also expanded
 *       to N rows there.
 *   <li>Every weight that touches x0 is permuted to that layout at export; other weights are
 *       stored transposed ([in, out]) for {@code Gemm}.
 * </ul>
 *
 * <p>Inputs (present only when the model has such fields; the fields of each, in spec order, are
 * in {@link Signature} and in the model's metadata as {@code <input>.fields}):
 *
 * <ul>
 *   <li>{@value #CONTEXT_INDEX} int64 [1, n]: table rows of the CONTEXT lookup fields
 *       (categorical and LOG_BUCKET), as in {@link FeatureVector#index()};
 *   <li>{@value #CONTEXT_VALUE} float [1, n]: values of the CONTEXT SCALED fields;
 *   <li>{@value #CANDIDATE_INDEX} int64 [N, n] and {@value #CANDIDATE_VALUE} float [N, n]: the
 *       same for the CANDIDATE fields, one row per candidate.
 * </ul>
 *
 * <p>Outputs: {@value #LOGIT} float [N] and {@value #PCTR} float [N]: the model's {@link
 * Calibration} map applied to the logit, as {@link io.ctrstreams.model.Scorer#score} does (the
 * map is in the metadata as {@code ctr.calibration}):
 *
 * <ul>
 *   <li>none: {@code Sigmoid(logit)} in float;
 *   <li>Platt: {@code Sigmoid(a * logit + b)} computed in double (the logit {@code Cast} up, the
 *       result down), as {@link Calibration#apply} does;
 *   <li>isotonic: the knots as double initializers; the logit (in double) is clamped to the
 *       first and last knot ({@code Max}, {@code Min}), its segment found by a binary search
 *       unrolled into {@code ceil(log2 K)} steps of {@code Gather} + {@code LessOrEqual} +
 *       {@code Where} (O(N log K), no N x K comparison matrix; default-domain opset 17 has no
 *       search operator), and the two knots' probabilities interpolated with the same
 *       arithmetic as {@link Calibration#apply}: {@code y[lo] + (z - x[lo]) / (x[hi] - x[lo]) *
 *       (y[hi] - y[lo])}, so the graph's pCTR is that of its own logit up to double rounding.
 * </ul>
 *
 * <p>Limits: a model needs at least one CANDIDATE field (else every candidate scores the same and
 * the graph would have no input carrying N), and its weights must fit one protobuf message (2
 * GiB; ONNX external data is not written).
 */
public final class OnnxExport {
  /** Input: rows of the context lookup fields, int64 [1, n]. */
  public static final String CONTEXT_INDEX = "context_index";
  /** Input: values of the context SCALED fields, float [1, n]. */
  public static final String CONTEXT_VALUE = "context_value";
  /** Input: rows of the candidate lookup fields, int64 [N, n]. */
  public static final String CANDIDATE_INDEX = "candidate_index";
  /** Input: values of the candidate SCALED fields, float [N, n]. */
  public static final String CANDIDATE_VALUE = "candidate_value";
  /** Output: logits, float [N]. */
  public static final String LOGIT = "logit";
  /** Output: pCTRs (the calibration map, by default the sigmoid, of the logits), float [N]. */
  public static final String PCTR = "pctr";

  private OnnxExport() {}

  /**
   * Which fields feed which graph input, each in spec order (field ordinals): lookup fields give
   * their {@link FeatureVector#index()}, SCALED fields their {@link FeatureVector#value()}.
   */
  public record Signature(int[] contextIndex, int[] contextValue, int[] candidateIndex, int[] candidateValue) {
    /** The inputs of the graph exported for {@code spec}. */
    public static Signature of(ModelSpec spec) {
      return new Signature(fields(spec, FieldSpec.Role.CONTEXT, true), fields(spec, FieldSpec.Role.CONTEXT, false),
          fields(spec, FieldSpec.Role.CANDIDATE, true), fields(spec, FieldSpec.Role.CANDIDATE, false));
    }

    private static int[] fields(ModelSpec spec, FieldSpec.Role role, boolean lookup) {
      return Arrays.stream(spec.fieldsWithRole(role)).filter(f -> spec.field(f).isLookup() == lookup).toArray();
    }

    /** Writes the rows of {@code fields} of {@code v} to {@code out[off ..)}. */
    public static void rows(FeatureVector v, int[] fields, long[] out, int off) {
      int[] idx = v.index();
      for (int i = 0; i < fields.length; i++) {
        out[off + i] = idx[fields[i]];
      }
    }

    /** Writes the values of {@code fields} of {@code v} to {@code out[off ..)}. */
    public static void values(FeatureVector v, int[] fields, float[] out, int off) {
      float[] val = v.value();
      for (int i = 0; i < fields.length; i++) {
        out[off + i] = val[fields[i]];
      }
    }
  }

  /**
   * The ONNX model bytes for {@code model}.
   *
   * @throws OnnxExportException if the model has no CANDIDATE field or its weights exceed 2 GiB
   */
  public static byte[] toBytes(CtrModel model) {
    try {
      return new Exporter(model).export();
    } catch (IllegalArgumentException e) {
      throw new OnnxExportException("cannot export model " + model.name() + " to ONNX: " + e.getMessage()
          + " (ONNX files without external data hold at most 2 GiB)", e);
    }
  }

  /** Writes {@link #toBytes} to {@code out} (replacing it). */
  public static void write(CtrModel model, Path out) throws IOException {
    Files.write(out, toBytes(model));
  }

  /** One export: the x0 layout, then the graph. */
  private static final class Exporter {
    private final CtrModel model;
    private final ModelSpec spec;
    private final ModelGraph g;
    private final OnnxGraph o = new OnnxGraph();
    private final int nf;
    private final int[] origStart;
    private final int[] x0Width;
    private final List<Group> groups = new ArrayList<>();
    private final Group[] groupOf;
    private int[] perm;
    private int wctx;
    private int width;

    Exporter(CtrModel model) {
      this.model = model;
      this.spec = model.spec();
      this.g = model.graph();
      this.nf = spec.fieldCount();
      origStart = new int[nf];
      x0Width = new int[nf];
      groupOf = new Group[nf];
      int pos = 0;
      Map<String, Group> byKey = new LinkedHashMap<>();
      for (int f = 0; f < nf; f++) {
        FieldInput in = g.input(f);
        origStart[f] = pos;
        x0Width[f] = in.width();
        pos += in.width();
        if (!spec.field(f).isLookup()) {
          continue;
        }
        Group grp;
        if (in instanceof Embedding e) {
          grp = byKey.computeIfAbsent("dense:" + e.dim(), k -> new Group(groups.size(), e.dim(), 0));
        } else {
          LowRankEmbedding lr = (LowRankEmbedding) in;
          int d = lr.isFolded() ? 0 : lr.dim();
          grp = byKey.computeIfAbsent("lowrank:" + lr.rank() + ":" + d, k -> new Group(groups.size(), lr.rank(), d));
        }
        if (grp.index == groups.size()) {
          groups.add(grp);
        }
        grp.add(f, rowsOf(in));
        groupOf[f] = grp;
      }
    }

    byte[] export() {
      if (spec.fieldsWithRole(FieldSpec.Role.CANDIDATE).length == 0) {
        throw new OnnxExportException("model " + model.name() + " has no CANDIDATE field: every candidate would "
            + "score the same and the ONNX graph would have no input giving the batch size N");
      }
      for (Group grp : groups) {
        grp.initializer();
      }
      Signature sig = Signature.of(spec);
      List<Integer> layout = new ArrayList<>();
      String xCtx = embed(FieldSpec.Role.CONTEXT, sig.contextIndex(), sig.contextValue(), layout);
      int ctxFields = layout.size();
      String xCand = embed(FieldSpec.Role.CANDIDATE, sig.candidateIndex(), sig.candidateValue(), layout);
      perm = new int[spec.firstLayerInputWidth()];
      int q = 0;
      for (int i = 0; i < layout.size(); i++) {
        int f = layout.get(i);
        for (int j = 0; j < x0Width[f]; j++) {
          perm[q++] = origStart[f] + j;
        }
        if (i == ctxFields - 1) {
          wctx = q;
        }
      }
      width = q;
      String logit2d = spec.architecture() == Architecture.DCNV2 ? dcn(xCtx, xCand) : dnn(xCtx, xCand);
      if (spec.architecture() == Architecture.DEEPFM) {
        logit2d = o.node("Add", List.of(logit2d, fm(xCtx, xCand, ctxFields, layout.size() - ctxFields, sig)));
      }
      o.node("Reshape", List.of(logit2d, o.longs("shape", -1)), LOGIT);
      calibrate(model.calibration());
      o.output(LOGIT, OnnxGraph.FLOAT, new long[] {-1}, "N");
      o.output(PCTR, OnnxGraph.FLOAT, new long[] {-1}, "N");
      o.metadata("ctr.model.name", model.name());
      o.metadata("ctr.model.version", Long.toString(model.version()));
      o.metadata("ctr.spec", spec.toJson());
      o.metadata("ctr.calibration", model.calibration().toString());
      o.metadata(CONTEXT_INDEX + ".fields", names(sig.contextIndex()));
      o.metadata(CONTEXT_VALUE + ".fields", names(sig.contextValue()));
      o.metadata(CANDIDATE_INDEX + ".fields", names(sig.candidateIndex()));
      o.metadata(CANDIDATE_VALUE + ".fields", names(sig.candidateValue()));
      String doc = "CTR model " + model.name() + " v" + model.version() + " (" + spec.architecture()
          + ") exported by ctr-streams: logits and pCTRs of N candidates sharing one context; inputs "
          + CONTEXT_INDEX + "/" + CANDIDATE_INDEX + " take the table rows of the lookup fields and "
          + CONTEXT_VALUE + "/" + CANDIDATE_VALUE + " the values of the SCALED fields, listed in the "
          + "metadata keys <input>.fields.";
      String version = OnnxExport.class.getPackage().getImplementationVersion();
      return o.encode(model.name(), version == null ? "dev" : version, model.version(), doc);
    }

    /** {@value #PCTR} from {@value #LOGIT}: the model's calibration map (class comment). */
    private void calibrate(Calibration c) {
      switch (c.kind()) {
        case PLATT -> {
          String z = o.node("Cast", List.of(LOGIT), Attr.i("to", OnnxGraph.DOUBLE));
          String t = o.node("Add", List.of(o.node("Mul", List.of(z, o.doubles("platt_a", c.a()))),
              o.doubles("platt_b", c.b())));
          o.node("Cast", List.of(o.node("Sigmoid", List.of(t))), PCTR, Attr.i("to", OnnxGraph.FLOAT));
        }
        case ISOTONIC -> isotonic(c.knotLogits(), c.knotProbabilities());
        default -> o.node("Sigmoid", List.of(LOGIT), PCTR);
      }
    }

    private void isotonic(double[] x, double[] y) {
      if (x.length == 1) {
        // one knot: constant; as two equal knots the general path needs no special case
        x = new double[] {x[0], x[0] + Math.max(1, Math.ulp(x[0]))};
        y = new double[] {y[0], y[0]};
      }
      int k = x.length;
      String xs = o.doubles("iso_x", x);
      String ys = o.doubles("iso_y", y);
      String z = o.node("Cast", List.of(LOGIT), Attr.i("to", OnnxGraph.DOUBLE));
      String zc = o.node("Min", List.of(o.node("Max", List.of(z, o.doubles("iso_first", x[0]))),
          o.doubles("iso_last", x[k - 1])));
      // p = the largest i with x[i] <= zc (x[0] <= zc after the clamp): binary lifting from the
      // highest power of two below k; candidates past the end read the last knot, and p is
      // capped at k - 2 afterwards, so zc == x[k - 1] ends in the last segment with t = 1
      String p = o.longs("iso_p", 0);
      String last = o.longs("iso_kmax", k - 1);
      for (long step = Long.highestOneBit(k - 1); step >= 1; step >>= 1) {
        String cand = o.node("Add", List.of(p, o.longs("iso_step", step)));
        String xv = o.node("Gather", List.of(xs, o.node("Min", List.of(cand, last))), Attr.i("axis", 0));
        p = o.node("Where", List.of(o.node("LessOrEqual", List.of(xv, zc)), cand, p));
      }
      String lo = o.node("Min", List.of(p, o.longs("iso_kmax2", k - 2)));
      String hi = o.node("Add", List.of(lo, o.longs("iso_one", 1)));
      String xl = o.node("Gather", List.of(xs, lo), Attr.i("axis", 0));
      String xh = o.node("Gather", List.of(xs, hi), Attr.i("axis", 0));
      String yl = o.node("Gather", List.of(ys, lo), Attr.i("axis", 0));
      String yh = o.node("Gather", List.of(ys, hi), Attr.i("axis", 0));
      String t = o.node("Div", List.of(o.node("Sub", List.of(zc, xl)), o.node("Sub", List.of(xh, xl))));
      String v = o.node("Add", List.of(yl, o.node("Mul", List.of(t, o.node("Sub", List.of(yh, yl))))));
      o.node("Cast", List.of(v), PCTR, Attr.i("to", OnnxGraph.FLOAT));
    }

    private String names(int[] fields) {
      StringJoiner j = new StringJoiner(",");
      for (int f : fields) {
        j.add(spec.field(f).name());
      }
      return j.toString();
    }

    /**
     * The x0 part [B, w] of one role (B = 1 for the context, N for candidates), or null when the role
     * has no field; appends the role's fields to {@code layout} in the order they are produced.
     */
    private String embed(FieldSpec.Role role, int[] lookup, int[] scaled, List<Integer> layout) {
      boolean ctx = role == FieldSpec.Role.CONTEXT;
      long b = ctx ? 1 : -1;
      List<String> pieces = new ArrayList<>();
      if (lookup.length > 0) {
        String idx = ctx ? CONTEXT_INDEX : CANDIDATE_INDEX;
        o.input(idx, OnnxGraph.INT64, new long[] {b, lookup.length}, "N");
        for (Group grp : groups) {
          List<Integer> cols = new ArrayList<>();
          for (int c = 0; c < lookup.length; c++) {
            if (groupOf[lookup[c]] == grp) {
              cols.add(c);
            }
          }
          if (cols.isEmpty()) {
            continue;
          }
          int n = cols.size();
          String sel = idx;
          if (n != lookup.length) {
            sel = o.node("Gather", List.of(idx, o.longs("cols", cols.stream().mapToLong(Integer::longValue).toArray())),
                Attr.i("axis", 1));
          }
          long[] offsets = new long[n];
          for (int i = 0; i < n; i++) {
            offsets[i] = grp.base[lookup[cols.get(i)]];
          }
          String rows = o.node("Add", List.of(sel, o.longs("offsets", offsets)));
          String e = o.node("Gather", List.of(grp.name(), rows));
          e = o.node("Reshape", List.of(e, o.longs("shape", -1, (long) n * grp.tableWidth)));
          if (grp.dim > 0) {
            e = projectLowRank(grp, lookup, cols, e, role.name().toLowerCase());
          }
          pieces.add(e);
          for (int c : cols) {
            layout.add(lookup[c]);
          }
        }
      }
      if (scaled.length > 0) {
        String val = ctx ? CONTEXT_VALUE : CANDIDATE_VALUE;
        o.input(val, OnnxGraph.FLOAT, new long[] {b, scaled.length}, "N");
        int total = 0;
        for (int f : scaled) {
          total += x0Width[f];
        }
        float[] m = new float[scaled.length * total];
        int col = 0;
        for (int i = 0; i < scaled.length; i++) {
          float[] v = ((Embedding) g.input(scaled[i])).table().data();
          System.arraycopy(v, 0, m, i * total + col, v.length);
          col += v.length;
        }
        String vectors = o.constant("scaled/" + role.name().toLowerCase(), new long[] {scaled.length, total}, m);
        pieces.add(o.node("MatMul", List.of(val, vectors)));
        for (int f : scaled) {
          layout.add(f);
        }
      }
      if (pieces.isEmpty()) {
        return null;
      }
      return pieces.size() == 1 ? pieces.get(0) : o.node("Concat", pieces, Attr.i("axis", 1));
    }

    /** e [B, n k] times the block-diagonal projections [n k, n d] plus the concatenated biases. */
    private String projectLowRank(Group grp, int[] lookup, List<Integer> cols, String e, String role) {
      int n = cols.size();
      int k = grp.tableWidth;
      int d = grp.dim;
      float[] p = new float[n * k * n * d];
      float[] mu = new float[n * d];
      for (int i = 0; i < n; i++) {
        LowRankEmbedding lr = (LowRankEmbedding) g.input(lookup[cols.get(i)]);
        float[] proj = lr.projection().data();
        for (int r = 0; r < k; r++) {
          System.arraycopy(proj, r * d, p, (i * k + r) * (n * d) + i * d, d);
        }
        System.arraycopy(lr.bias().data(), 0, mu, i * d, d);
      }
      String prefix = grp.name() + "/" + role;
      return o.node("Gemm", List.of(e, o.constant(prefix + "/proj", new long[] {n * k, n * d}, p),
          o.constant(prefix + "/bias", new long[] {n * d}, mu)));
    }

    /** DNN and DeepFM: the MLP (first layer split) and the output unit, [N, 1]. */
    private String dnn(String xCtx, String xCand) {
      int layers = g.mlpLayers();
      if (layers == 0) {
        return split(g.output(), xCtx, xCand, null, "out");
      }
      String h = o.node("Relu", List.of(split(g.mlp(0), xCtx, xCand, null, "mlp/0")));
      for (int i = 1; i < layers; i++) {
        h = o.node("Relu", List.of(affine(g.mlp(i), h, null, null, "mlp/" + i)));
      }
      return affine(g.output(), h, null, null, "out");
    }

    /** DCN-V2: x0, the cross layers (first map split), the MLP and the output unit, [N, 1]. */
    private String dcn(String xCtx, String xCand) {
      String x0 = xCand;
      if (xCtx != null) {
        String n = o.node("Shape", List.of(xCand), Attr.i("start", 0), Attr.i("end", 1));
        String shape = o.node("Concat", List.of(n, o.longs("width", wctx)), Attr.i("axis", 0));
        x0 = o.node("Concat", List.of(o.node("Expand", List.of(xCtx, shape)), xCand), Attr.i("axis", 1));
      }
      String xl = x0;
      for (int l = 0; l < g.crossLayers(); l++) {
        AffineLayer map = g.cross(l).map();
        String z = l == 0 ? split(map, xCtx, xCand, perm, "cross/0") : affine(map, xl, perm, perm, "cross/" + l);
        xl = o.node("Add", List.of(o.node("Mul", List.of(x0, z)), xl));
      }
      boolean parallel = spec.crossStructure() == CrossStructure.PARALLEL;
      boolean mlpReadsX0 = parallel || g.crossLayers() == 0;
      String h = null;
      for (int i = 0; i < g.mlpLayers(); i++) {
        String y;
        if (i == 0) {
          y = mlpReadsX0 ? split(g.mlp(0), xCtx, xCand, null, "mlp/0") : affine(g.mlp(0), xl, perm, null, "mlp/0");
        } else {
          y = affine(g.mlp(i), h, null, null, "mlp/" + i);
        }
        h = o.node("Relu", List.of(y));
      }
      float[] w = g.output().weight().data();
      float[] b = g.output().bias().data();
      String bias = o.constant("out/b", new long[] {1}, b.clone());
      if (!parallel) {
        String in = h != null ? h : xl;
        float[] wt = h != null ? w.clone() : permute(w, 0, perm);
        return o.node("Gemm", List.of(in, o.constant("out/w", new long[] {wt.length, 1}, wt), bias));
      }
      // parallel: [xl, h] (h = x0 when there is no MLP)
      String cross = o.node("MatMul", List.of(xl, o.constant("out/w_cross", new long[] {width, 1}, permute(w, 0, perm))));
      String in = h != null ? h : x0;
      float[] wd = h != null ? Arrays.copyOfRange(w, width, w.length) : permute(w, width, perm);
      String deep = o.node("Gemm", List.of(in, o.constant("out/w_deep", new long[] {wd.length, 1}, wd), bias));
      return o.node("Add", List.of(cross, deep));
    }

    /** DeepFM's first-order and pairwise terms, [N, 1], split into context and candidate parts. */
    private String fm(String xCtx, String xCand, int ctxFields, int candFields, Signature sig) {
      int d = spec.field(0).embeddingDim();
      // first-order weights of all lookup fields stacked, SCALED fields' weights per role
      long total = 0;
      long[] base = new long[nf];
      for (int f = 0; f < nf; f++) {
        if (spec.field(f).isLookup()) {
          base[f] = total;
          total += g.fmFirst(f).length;
        }
      }
      String firstTable = null;
      if (total > 0) {
        float[] first = new float[Math.toIntExact(total)];
        for (int f = 0; f < nf; f++) {
          if (spec.field(f).isLookup()) {
            System.arraycopy(g.fmFirst(f), 0, first, (int) base[f], g.fmFirst(f).length);
          }
        }
        firstTable = o.constant("fm/first", new long[] {first.length, 1}, first);
      }
      String axis1 = o.longs("axes", 1);
      // candidate part
      String cand = firstOrder(CANDIDATE_INDEX, CANDIDATE_VALUE, sig.candidateIndex(), sig.candidateValue(), base,
          firstTable, "candidate");
      String s = o.node("ReduceSum", List.of(o.node("Reshape", List.of(xCand, o.longs("shape", -1, candFields, d))),
          axis1), Attr.i("keepdims", 0));
      String sq = o.node("ReduceSumSquare", List.of(xCand), Attr.ints("axes", 1), Attr.i("keepdims", 1));
      String bias = o.constant("fm/bias", new long[] {1, 1}, new float[] {g.fmBias()});
      String firstSum = cand == null ? bias : o.node("Add", List.of(cand, bias));
      if (xCtx != null) {
        String ctxFirst = firstOrder(CONTEXT_INDEX, CONTEXT_VALUE, sig.contextIndex(), sig.contextValue(), base,
            firstTable, "context");
        String ctxSum = o.node("ReduceSum", List.of(o.node("Reshape", List.of(xCtx, o.longs("shape", 1, ctxFields, d))),
            axis1), Attr.i("keepdims", 0));
        String ctxSq = o.node("ReduceSumSquare", List.of(xCtx), Attr.ints("axes", 1), Attr.i("keepdims", 1));
        s = o.node("Add", List.of(s, ctxSum));
        sq = o.node("Add", List.of(sq, ctxSq));
        firstSum = o.node("Add", List.of(firstSum, ctxFirst));
      }
      String s2 = o.node("ReduceSumSquare", List.of(s), Attr.ints("axes", 1), Attr.i("keepdims", 1));
      String pair = o.node("Mul", List.of(o.node("Sub", List.of(s2, sq)),
          o.constant("fm/half", new long[] {}, new float[] {0.5f})));
      return o.node("Add", List.of(firstSum, pair));
    }

    /** Sum of the first-order weights of one role's fields, [B, 1], or null when it has none. */
    private String firstOrder(String idxInput, String valInput, int[] lookup, int[] scaled, long[] base,
        String table, String role) {
      String sum = null;
      if (lookup.length > 0) {
        long[] off = new long[lookup.length];
        for (int i = 0; i < off.length; i++) {
          off[i] = base[lookup[i]];
        }
        String w = o.node("Gather", List.of(table, o.node("Add", List.of(idxInput, o.longs("offsets", off)))));
        w = o.node("Reshape", List.of(w, o.longs("shape", -1, lookup.length)));
        sum = o.node("ReduceSum", List.of(w, o.longs("axes", 1)), Attr.i("keepdims", 1));
      }
      if (scaled.length > 0) {
        float[] ws = new float[scaled.length];
        for (int i = 0; i < ws.length; i++) {
          ws[i] = g.fmFirst(scaled[i])[0];
        }
        String t = o.node("MatMul", List.of(valInput, o.constant("fm/first_scaled/" + role,
            new long[] {ws.length, 1}, ws)));
        sum = sum == null ? t : o.node("Add", List.of(sum, t));
      }
      return sum;
    }

    /**
     * A layer reading x0, its rows split: {@code pc = b + x_ctx W_ctx} once per request, then each
     * candidate {@code x_cand W_cand + pc}; {@code outPerm} permutes the outputs (cross maps, whose
     * output is in x0's layout). Without context fields, one plain product.
     */
    private String split(AffineLayer layer, String xCtx, String xCand, int[] outPerm, String name) {
      Linear[] f = layer.factors();
      boolean dense = f.length == 1;
      int r0 = f[0].outputSize();
      int[] firstPerm = dense ? outPerm : null;
      float[] wt = transposed(f[0].weight().data(), r0, width, firstPerm, perm);
      String bias = o.constant(name + "/b0", new long[] {r0}, permute(f[0].bias().data(), 0, firstPerm));
      String y;
      if (xCtx == null) {
        y = o.node("Gemm", List.of(xCand, o.constant(name + "/w0", new long[] {width, r0}, wt), bias));
      } else {
        String wCtx = o.constant(name + "/w0_context", new long[] {wctx, r0}, Arrays.copyOfRange(wt, 0, wctx * r0));
        String wCand = o.constant(name + "/w0_candidate", new long[] {width - wctx, r0},
            Arrays.copyOfRange(wt, wctx * r0, wt.length));
        String pc = o.node("Gemm", List.of(xCtx, wCtx, bias));
        y = o.node("Gemm", List.of(xCand, wCand, pc));
      }
      return dense ? y : second(layer, f[1], y, outPerm, name);
    }

    /** A whole layer on {@code x}; {@code inPerm} / {@code outPerm} for x0-layout inputs / outputs. */
    private String affine(AffineLayer layer, String x, int[] inPerm, int[] outPerm, String name) {
      Linear[] f = layer.factors();
      boolean dense = f.length == 1;
      int r0 = f[0].outputSize();
      int in = f[0].inputSize();
      int[] firstPerm = dense ? outPerm : null;
      String y = o.node("Gemm", List.of(x,
          o.constant(name + "/w0", new long[] {in, r0}, transposed(f[0].weight().data(), r0, in, firstPerm, inPerm)),
          o.constant(name + "/b0", new long[] {r0}, permute(f[0].bias().data(), 0, firstPerm))));
      return dense ? y : second(layer, f[1], y, outPerm, name);
    }

    /** The second factor of a low-rank layer after its optional ReLU. */
    private String second(AffineLayer layer, Linear u, String mid, int[] outPerm, String name) {
      if (layer.hasActivation()) {
        mid = o.node("Relu", List.of(mid));
      }
      int out = u.outputSize();
      int k = u.inputSize();
      return o.node("Gemm", List.of(mid,
          o.constant(name + "/w1", new long[] {k, out}, transposed(u.weight().data(), out, k, outPerm, null)),
          o.constant(name + "/b1", new long[] {out}, permute(u.bias().data(), 0, outPerm))));
    }

    private static int rowsOf(FieldInput in) {
      return in instanceof Embedding e ? e.rows() : ((LowRankEmbedding) in).rows();
    }

    /** The embedding tables of one kind and width, stacked. */
    private final class Group {
      final int index;
      final int tableWidth;
      /** Projected width d of a low-rank (not folded) group, 0 for dense and folded tables. */
      final int dim;
      final List<Integer> fields = new ArrayList<>();
      final long[] base = new long[nf];
      long rows;

      Group(int index, int tableWidth, int dim) {
        this.index = index;
        this.tableWidth = tableWidth;
        this.dim = dim;
      }

      void add(int f, int fieldRows) {
        fields.add(f);
        base[f] = rows;
        rows += fieldRows;
      }

      String name() {
        return "emb/stack" + index;
      }

      void initializer() {
        long n = rows * tableWidth;
        if (n > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException("stacked table " + name() + " has " + n + " values");
        }
        float[] t = new float[(int) n];
        for (int f : fields) {
          FieldInput in = g.input(f);
          float[] src = in instanceof Embedding e ? e.table().data() : ((LowRankEmbedding) in).table().data();
          System.arraycopy(src, 0, t, (int) (base[f] * tableWidth), src.length);
        }
        o.constant(name(), new long[] {rows, tableWidth}, t);
      }
    }
  }

  /** {@code Mt [in, out]} of {@code M [out, in]}: {@code Mt[p][q] = M[outPerm(q)][inPerm(p)]} (null = identity). */
  static float[] transposed(float[] m, int out, int in, int[] outPerm, int[] inPerm) {
    float[] t = new float[in * out];
    for (int p = 0; p < in; p++) {
      int i = inPerm == null ? p : inPerm[p];
      for (int q = 0; q < out; q++) {
        int r = outPerm == null ? q : outPerm[q];
        t[p * out + q] = m[r * in + i];
      }
    }
    return t;
  }

  /** {@code v[from + perm[i]]} for i in [0, perm.length), or a copy of {@code v[from ..)} when perm is null. */
  static float[] permute(float[] v, int from, int[] perm) {
    if (perm == null) {
      return Arrays.copyOfRange(v, from, v.length);
    }
    float[] r = new float[perm.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = v[from + perm[i]];
    }
    return r;
  }
}
