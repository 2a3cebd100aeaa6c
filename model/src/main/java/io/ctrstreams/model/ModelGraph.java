package io.ctrstreams.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layers of a {@link CtrModel}, built over its tensors (no copies): per field a dense or
 * low-rank embedding, DeepFM first-order weights, the hidden MLP layers, the DCN-V2 cross layers
 * and the output unit. Trainers and the recompressor walk these; scorers run them.
 *
 * <p>See {@link CtrModel} for the tensor naming scheme ({@link #expectedShapes}).
 */
public final class ModelGraph {
  private final ModelSpec spec;
  private final Embedding[] dense;
  private final LowRankEmbedding[] lowRank;
  private final float[][] fmFirst;
  private final float[] fmBias;
  private final AffineLayer[] mlp;
  private final CrossLayer[] cross;
  private final Linear output;

  ModelGraph(ModelSpec spec, Map<String, Tensor> t) {
    this.spec = spec;
    int nf = spec.fieldCount();
    dense = new Embedding[nf];
    lowRank = new LowRankEmbedding[nf];
    boolean deepFm = spec.architecture() == Architecture.DEEPFM;
    fmFirst = deepFm ? new float[nf][] : null;
    for (int f = 0; f < nf; f++) {
      FieldSpec fs = spec.field(f);
      String p = "emb/" + fs.name();
      if (spec.embeddingRank(f) == 0) {
        dense[f] = new Embedding(t.get(p));
      } else if (spec.isFolded()) {
        lowRank[f] = new LowRankEmbedding(t.get(p + "/table"), fs.embeddingDim());
      } else {
        lowRank[f] = new LowRankEmbedding(t.get(p + "/table"), t.get(p + "/proj"), t.get(p + "/bias"));
      }
      if (deepFm) {
        fmFirst[f] = t.get("fm/first/" + fs.name()).data();
      }
    }
    fmBias = deepFm ? t.get("fm/bias").data() : new float[1];
    boolean act = spec.isFactorActivation();
    mlp = new AffineLayer[spec.mlpLayers()];
    for (int i = 0; i < mlp.length; i++) {
      mlp[i] = affine(t, "mlp/" + i, spec.mlpRank(i), "b", "d", act);
    }
    cross = new CrossLayer[spec.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = new CrossLayer(affine(t, "cross/" + i, spec.crossRank(i), "b", "b", act));
    }
    output = new Linear(t.get("out/w"), t.get("out/b"));
  }

  /**
   * The layers of {@code spec} over {@code tensors} (validated, not copied), e.g. over a trainer's
   * live weights, so that its forward pass runs these layers.
   */
  public static ModelGraph of(ModelSpec spec, Map<String, Tensor> tensors) {
    checkTensors(spec, tensors);
    return new ModelGraph(spec, tensors);
  }

  private static AffineLayer affine(Map<String, Tensor> t, String p, int rank, String denseBias,
      String lowRankBias, boolean act) {
    if (rank == 0) {
      return new Linear(t.get(p + "/w"), t.get(p + "/" + denseBias));
    }
    return new LowRankLinear(t.get(p + "/v"), t.get(p + "/c"), t.get(p + "/u"), t.get(p + "/" + lowRankBias), act);
  }

  /**
   * Every tensor a model of this spec must have, with its shape, in canonical order:
   *
   * <ul>
   *   <li>dense field: {@code emb/<field>} [rows, d] (SCALED: rows = 1);
   *   <li>low-rank field: {@code emb/<field>/table} [rows, k], and unless folded {@code
   *       emb/<field>/proj} [k, d], {@code emb/<field>/bias} [d];
   *   <li>DeepFM: {@code fm/first/<field>} [rows, 1] per field, {@code fm/bias} [1];
   *   <li>hidden layer i: {@code mlp/<i>/w} [out, in] + {@code mlp/<i>/b} [out], or low-rank
   *       {@code mlp/<i>/v} [k, in], {@code mlp/<i>/c} [k], {@code mlp/<i>/u} [out, k], {@code
   *       mlp/<i>/d} [out]; layer 0's {@code in} is {@link ModelSpec#firstLayerInputWidth()};
   *   <li>cross layer i (D = {@link ModelSpec#embeddingWidth()}): {@code cross/<i>/w} [D, D], or
   *       {@code cross/<i>/v} [r, D], {@code cross/<i>/c} [r], {@code cross/<i>/u} [D, r]; plus
   *       {@code cross/<i>/b} [D];
   *   <li>output: {@code out/w} [1, {@link ModelSpec#outputInputWidth()}], {@code out/b} [1].
   * </ul>
   */
  public static Map<String, int[]> expectedShapes(ModelSpec spec) {
    Map<String, int[]> s = new LinkedHashMap<>();
    for (int f = 0; f < spec.fieldCount(); f++) {
      FieldSpec fs = spec.field(f);
      String p = "emb/" + fs.name();
      int k = spec.embeddingRank(f);
      if (k == 0) {
        s.put(p, new int[] {fs.rows(), fs.embeddingDim()});
      } else {
        s.put(p + "/table", new int[] {fs.rows(), k});
        if (!spec.isFolded()) {
          s.put(p + "/proj", new int[] {k, fs.embeddingDim()});
          s.put(p + "/bias", new int[] {fs.embeddingDim()});
        }
      }
    }
    if (spec.architecture() == Architecture.DEEPFM) {
      for (FieldSpec fs : spec.fields()) {
        s.put("fm/first/" + fs.name(), new int[] {fs.rows(), 1});
      }
      s.put("fm/bias", new int[] {1});
    }
    for (int i = 0; i < spec.mlpLayers(); i++) {
      putAffine(s, "mlp/" + i, spec.mlpInputWidth(i), spec.mlpSize(i), spec.mlpRank(i), "b", "d");
    }
    int d = spec.embeddingWidth();
    for (int i = 0; i < spec.crossLayers(); i++) {
      putAffine(s, "cross/" + i, d, d, spec.crossRank(i), "b", "b");
    }
    s.put("out/w", new int[] {1, spec.outputInputWidth()});
    s.put("out/b", new int[] {1});
    return s;
  }

  private static void putAffine(Map<String, int[]> s, String p, int in, int out, int rank, String denseBias,
      String lowRankBias) {
    if (rank == 0) {
      s.put(p + "/w", new int[] {out, in});
      s.put(p + "/" + denseBias, new int[] {out});
    } else {
      s.put(p + "/v", new int[] {rank, in});
      s.put(p + "/c", new int[] {rank});
      s.put(p + "/u", new int[] {out, rank});
      s.put(p + "/" + lowRankBias, new int[] {out});
    }
  }

  /** Checks that {@code tensors} holds exactly the expected tensors with the expected shapes. */
  static void checkTensors(ModelSpec spec, Map<String, Tensor> tensors) {
    Map<String, int[]> expected = expectedShapes(spec);
    for (Map.Entry<String, int[]> e : expected.entrySet()) {
      Tensor t = tensors.get(e.getKey());
      if (t == null) {
        throw new CtrModelException("model " + spec.name() + " is missing tensor " + e.getKey() + " of shape "
            + Arrays.toString(e.getValue()));
      }
      if (!t.hasShape(e.getValue())) {
        throw new CtrModelException("tensor " + e.getKey() + " must have shape " + Arrays.toString(e.getValue())
            + ", found " + Arrays.toString(t.shape()));
      }
    }
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name)) {
        throw new CtrModelException("model " + spec.name() + " has unexpected tensor " + name
            + " (not part of its spec)");
      }
    }
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Field {@code f}'s embedding, dense or low-rank: its part of x0. */
  public FieldInput input(int f) {
    return dense[f] != null ? dense[f] : lowRank[f];
  }

  /** The low-rank embedding of field {@code f}, or {@code null} if it is dense. */
  public LowRankEmbedding lowRankEmbedding(int f) {
    return lowRank[f];
  }

  /** DeepFM first-order weights of field {@code f} (one per row; not a copy), or {@code null}. */
  public float[] fmFirst(int f) {
    return fmFirst == null ? null : fmFirst[f];
  }

  /** DeepFM global bias (0 for other architectures), read from the tensor at each call. */
  public float fmBias() {
    return fmBias[0];
  }

  public int mlpLayers() {
    return mlp.length;
  }

  /** Hidden layer {@code i} (followed by ReLU). */
  public AffineLayer mlp(int i) {
    return mlp[i];
  }

  public int crossLayers() {
    return cross.length;
  }

  public CrossLayer cross(int i) {
    return cross[i];
  }

  /** The output unit [1, outputInputWidth]. */
  public Linear output() {
    return output;
  }

  /** Multiply-adds of one full forward pass (excluding table lookups). */
  public long multiplyAdds() {
    long m = 0;
    int nf = spec.fieldCount();
    for (int f = 0; f < nf; f++) {
      if (lowRank[f] != null) {
        m += lowRank[f].multiplyAdds();
      } else if (!spec.field(f).isLookup()) {
        m += dense[f].dim(); // x * v
      }
    }
    if (fmFirst != null) {
      // sum and sum of squares over fields, then the square of the sum
      int d = spec.field(0).embeddingDim();
      m += 2L * nf * d + d;
    }
    for (AffineLayer l : mlp) {
      m += l.multiplyAdds();
    }
    for (CrossLayer c : cross) {
      m += c.multiplyAdds();
    }
    return m + output.multiplyAdds();
  }
}
