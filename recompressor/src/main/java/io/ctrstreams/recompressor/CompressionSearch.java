package io.ctrstreams.recompressor;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Embedding;
import io.ctrstreams.model.FieldInput;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.recompressor.internal.BatchNet;
import io.ctrstreams.recompressor.internal.Densify;
import io.ctrstreams.recompressor.internal.PrefixCachedFitness;
import io.ctrstreams.recompressor.internal.Stages;
import io.ctrstreams.recompressor.search.Fitness;
import io.ctrstreams.recompressor.search.GaConfig;
import io.ctrstreams.recompressor.search.LayerChoice;
import io.ctrstreams.recompressor.search.RankLadder;
import io.ctrstreams.recompressor.search.RankOption;
import io.ctrstreams.recompressor.search.RankSearch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks a {@link RankPlan} for a model under a byte budget: per-layer rank ladders, fitness =
 * logloss of the student against the teacher's probabilities on calibration rows, GA + knapsack
 * DP + uniform baselines ({@link RankSearch}), final choice on held-out calibration rows.
 *
 * <p>To make hundreds of fitness calls affordable, candidate students are assembled from bases
 * computed once along the TEACHER's activations (every layer's statistics through a dense
 * upstream) and scored on a few thousand rows; the chosen plan is then built properly, in order,
 * by {@link Compressor#compress}. Genes: the embedding rank (one gene shared by all lookup fields,
 * as in the paper's settings, or one per field), each cross layer and each hidden layer. Bytes do
 * not model folding (a folded first layer is smaller), so the budget is met conservatively.
 */
public final class CompressionSearch {

  /**
   * Search settings.
   *
   * @param statsRows calibration rows used for the search's bases
   * @param fitnessRows rows the GA/DP fitness is computed on
   * @param heldOutRows rows (taken from the END of the calibration set) that only judge the
   *     final candidates
   * @param perFieldEmbeddings one embedding gene per lookup field instead of one shared gene
   * @param linearRanks ladder rungs of hidden and cross layers
   * @param embeddingRanks ladder rungs of embeddings
   * @param ga genetic search settings
   * @param strategy "ga" (GA plus both baselines, best on held-out rows wins), "dp" or "uniform"
   *     (that baseline alone decides; the other is still reported)
   */
  public record Options(int statsRows, int fitnessRows, int heldOutRows, boolean perFieldEmbeddings,
      int[] linearRanks, int[] embeddingRanks, GaConfig ga, String strategy) {

    public Options {
      if (!List.of("ga", "dp", "uniform").contains(strategy)) {
        throw new RecompressorException("search strategy must be ga, dp or uniform, found " + strategy);
      }
    }

    /** 10k stats rows, 2048 fitness rows, 2048 held-out rows, a shared embedding gene, default ladders. */
    public static Options defaults(long seed) {
      return new Options(10_000, 2048, 2048, false, RankLadder.LINEAR_RANKS, RankLadder.EMBEDDING_RANKS,
          new GaConfig(16, 20, 3, 0.7, 0.25, seed, GaConfig.Objective.FIDELITY, true), "ga");
    }

    public Options withGa(GaConfig g) {
      return new Options(statsRows, fitnessRows, heldOutRows, perFieldEmbeddings, linearRanks, embeddingRanks, g,
          strategy);
    }

    public Options withStrategy(String s) {
      return new Options(statsRows, fitnessRows, heldOutRows, perFieldEmbeddings, linearRanks, embeddingRanks, ga, s);
    }

    public Options withPerFieldEmbeddings(boolean perField) {
      return new Options(statsRows, fitnessRows, heldOutRows, perField, linearRanks, embeddingRanks, ga, strategy);
    }
  }

  /**
   * The outcome.
   *
   * @param plan the chosen ranks
   * @param report every candidate with calibration and held-out loss
   * @param layers the ladders with measured sensitivities
   * @param budgetBytes the budget
   * @param searchRows rows [0, searchRows) of the calibration set were used for statistics and
   *     fitness; the rest judged the final candidates
   * @param seconds wall time
   * @param stageSeconds wall time per stage
   */
  public record Result(RankPlan plan, RankSearch.SearchReport report, List<LayerChoice> layers, long budgetBytes,
      int searchRows, double seconds, Map<String, Double> stageSeconds) {}

  private final Compressor compressor;
  private final Options options;

  public CompressionSearch(Compressor compressor, Options options) {
    this.compressor = compressor;
    this.options = options;
  }

  /** Searches ranks for {@code teacher} so that the compressed model is at most {@code budgetBytes}. */
  public Result search(CtrModel teacher, Calibration calib, long budgetBytes, boolean fold) {
    long t0 = System.nanoTime();
    Stages st = new Stages();
    CtrModel dense = Densify.dense(teacher);
    ModelSpec spec = dense.spec();
    calib.check(spec);
    int n = calib.rows();
    int held = Math.min(options.heldOutRows(), n / 4);
    int searchRows = n - held;
    int fitRows = Math.min(options.fitnessRows(), searchRows);
    int statRows = Math.min(options.statsRows(), searchRows);
    if (held < 1 || fitRows < 1) {
      throw new RecompressorException("rank search needs at least 4 calibration rows, found " + n);
    }
    BatchNet net = BatchNet.of(dense);
    float[] teacherFit = probs(net.logits(calib, 0, fitRows));
    float[] teacherHeld = probs(net.logits(calib, searchRows, n));

    st.end("teacher");
    // Bases along the teacher's own activations.
    Linalg la = compressor.linalg();
    boolean afm = compressor.method() == CompressionMethod.AFM;
    int nf = spec.fieldCount();
    ProjectionBasis[] embBasis = new ProjectionBasis[nf];
    for (int f = 0; f < nf; f++) {
      FieldSpec fs = spec.field(f);
      if (!fs.isLookup()) {
        continue;
      }
      float[] table = ((Embedding) net.input(f)).table().data();
      embBasis[f] = afm
          ? EmbeddingCompression.afmBasis(table, fs.rows(), fs.embeddingDim(), calib.rowCounts(f, fs.rows()), la)
          : EmbeddingCompression.svdBasis(table, fs.rows(), fs.embeddingDim(), la);
    }
    st.end("embedding bases");
    ProjectionBasis[] crossBasis = new ProjectionBasis[net.crossLayers()];
    ProjectionBasis[] mlpBasis = new ProjectionBasis[net.mlpLayers()];
    float[] x0 = net.embed(calib, 0, statRows);
    float[] xl = x0;
    for (int i = 0; i < net.crossLayers(); i++) {
      Linear a = (Linear) net.cross(i);
      float[] t = BatchNet.apply(a, xl, statRows);
      crossBasis[i] = basis(a, t, statRows, afm, la);
      xl = BatchNet.crossStep(x0, xl, t);
    }
    boolean stacked = spec.architecture() == io.ctrstreams.model.Architecture.DCNV2
        && spec.crossStructure() == io.ctrstreams.model.CrossStructure.STACKED;
    float[] h = stacked ? xl : x0;
    for (int i = 0; i < net.mlpLayers(); i++) {
      Linear a = (Linear) net.mlp(i);
      float[] y = BatchNet.apply(a, h, statRows);
      mlpBasis[i] = basis(a, y, statRows, afm, la);
      LayerPlan.relu(y, y.length);
      h = y;
    }
    x0 = null;
    xl = null;
    h = null;
    st.end("layer bases");

    // Genes.
    List<LayerChoice> layers = new ArrayList<>();
    List<int[]> embGenes = new ArrayList<>(); // field ordinals per embedding gene
    if (options.perFieldEmbeddings()) {
      for (int f = 0; f < nf; f++) {
        if (embBasis[f] != null) {
          FieldSpec fs = spec.field(f);
          layers.add(RankLadder.embedding("emb/" + fs.name(), fs.rows(), fs.embeddingDim(), options.embeddingRanks(), false));
          embGenes.add(new int[] {f});
        }
      }
    } else {
      List<Integer> fields = new ArrayList<>();
      for (int f = 0; f < nf; f++) {
        if (embBasis[f] != null) {
          fields.add(f);
        }
      }
      if (!fields.isEmpty()) {
        layers.add(sharedEmbedding(spec, fields));
        embGenes.add(fields.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    int firstCross = layers.size();
    for (int i = 0; i < net.crossLayers(); i++) {
      layers.add(RankLadder.linear("cross/" + i, spec.embeddingWidth(), spec.embeddingWidth(), options.linearRanks()));
    }
    int firstMlp = layers.size();
    for (int i = 0; i < net.mlpLayers(); i++) {
      layers.add(RankLadder.linear("mlp/" + i, spec.mlpSize(i), net.mlp(i).inputSize(), options.linearRanks()));
    }
    long searched = 0;
    for (LayerChoice l : layers) {
      searched += l.option(l.size() - 1).bytes();
    }
    long fixed = 4L * dense.parameterCount() - searched;

    // Student assembly from cached pieces.
    Map<String, Object> cache = new HashMap<>();
    final BatchNet base = net;
    java.util.function.Function<int[], BatchNet> student = g -> {
      BatchNet s = base;
      for (int e = 0; e < embGenes.size(); e++) {
        RankOption o = layers.get(e).option(g[e]);
        if (o.dense()) {
          continue;
        }
        for (int f : embGenes.get(e)) {
          int k = Math.min(o.rank(), spec.field(f).embeddingDim());
          int ff = f;
          FieldInput in = (FieldInput) cache.computeIfAbsent("emb" + f + "/" + k,
              key -> projected(((Embedding) base.input(ff)).table().data(), embBasis[ff], k));
          s = s.withInput(f, in);
        }
      }
      for (int i = 0; i < crossBasis.length; i++) {
        RankOption o = layers.get(firstCross + i).option(g[firstCross + i]);
        if (!o.dense()) {
          s = s.withCross(i, cachedFactored(cache, "cross" + i, (Linear) base.cross(i), crossBasis[i], o.rank()));
        }
      }
      for (int i = 0; i < mlpBasis.length; i++) {
        RankOption o = layers.get(firstMlp + i).option(g[firstMlp + i]);
        if (!o.dense()) {
          s = s.withMlp(i, cachedFactored(cache, "mlp" + i, (Linear) base.mlp(i), mlpBasis[i], o.rank()));
        }
      }
      return s;
    };
    Fitness fit = new PrefixCachedFitness(student, embGenes.size(), calib, 0, fitRows, teacherFit, 256L << 20);
    Fitness heldOut = g -> BinaryMetrics.logloss(probs(student.apply(g).logits(calib, searchRows, n)), teacherHeld, held);

    List<LayerChoice> measured = RankSearch.measureSensitivities(layers, fit);
    st.end("sensitivities");
    RankSearch rs = new RankSearch(measured, budgetBytes, fixed);
    boolean ga = options.strategy().equals("ga");
    RankSearch.SearchReport report = rs.run(fit, heldOut, options.ga(), ga);
    if (!ga) {
      io.ctrstreams.recompressor.search.Candidate pick = report.candidates().stream()
          .filter(c -> c.strategy().equals(options.strategy())).findFirst().orElseThrow();
      report = new RankSearch.SearchReport(report.candidates(), pick, report.gaEvaluations(), report.gaHistory());
    }
    st.end("search");
    RankPlan plan = toPlan(spec, measured, embGenes, firstCross, firstMlp, report.chosen().genome(), fold);
    return new Result(plan, report, measured, budgetBytes, searchRows, (System.nanoTime() - t0) / 1e9, st.seconds());
  }

  /** The plan a genome stands for. */
  static RankPlan toPlan(ModelSpec spec, List<LayerChoice> layers, List<int[]> embGenes, int firstCross,
      int firstMlp, int[] g, boolean fold) {
    int[] emb = new int[spec.fieldCount()];
    for (int e = 0; e < embGenes.size(); e++) {
      RankOption o = layers.get(e).option(g[e]);
      for (int f : embGenes.get(e)) {
        emb[f] = o.dense() ? 0 : Math.min(o.rank(), spec.field(f).embeddingDim());
      }
    }
    int[] cross = new int[spec.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      RankOption o = layers.get(firstCross + i).option(g[firstCross + i]);
      cross[i] = o.dense() ? 0 : o.rank();
    }
    int[] mlp = new int[spec.mlpLayers()];
    for (int i = 0; i < mlp.length; i++) {
      RankOption o = layers.get(firstMlp + i).option(g[firstMlp + i]);
      mlp[i] = o.dense() ? 0 : o.rank();
    }
    boolean anyEmb = false;
    for (int k : emb) {
      anyEmb |= k > 0;
    }
    return new RankPlan(emb, mlp, cross, fold && anyEmb);
  }

  private static LayerChoice sharedEmbedding(ModelSpec spec, List<Integer> fields) {
    int maxDim = 0;
    int minDim = Integer.MAX_VALUE;
    long dense = 0;
    for (int f : fields) {
      maxDim = Math.max(maxDim, spec.field(f).embeddingDim());
      minDim = Math.min(minDim, spec.field(f).embeddingDim());
      dense += 4L * spec.field(f).rows() * spec.field(f).embeddingDim();
    }
    List<RankOption> opts = new ArrayList<>();
    for (int k : new java.util.TreeSet<>(boxed(RankLadder.EMBEDDING_RANKS))) {
      if (k >= maxDim) {
        continue;
      }
      long bytes = 0;
      long flops = 0;
      for (int f : fields) {
        int d = spec.field(f).embeddingDim();
        int kk = Math.min(k, d);
        bytes += kk < d ? 4L * ((long) spec.field(f).rows() * kk + (long) kk * d + d) : 4L * spec.field(f).rows() * d;
        flops += kk < d ? 2L * kk * d : 0;
      }
      if (bytes < dense && (opts.isEmpty() || bytes > opts.get(opts.size() - 1).bytes())) {
        opts.add(new RankOption(k, bytes, flops, 0));
      }
    }
    opts.add(new RankOption(RankOption.DENSE, dense, 0, 0));
    return new LayerChoice("emb/*", maxDim, opts);
  }

  private static List<Integer> boxed(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }

  private static ProjectionBasis basis(Linear a, float[] y, int n, boolean afm, Linalg la) {
    if (afm) {
      OutputStatistics s = new OutputStatistics(a.outputSize(), la);
      s.add(y, 0, n);
      return Afm.basis(s);
    }
    return WeightSvd.basis(a.weight().data(), a.bias().data(), a.outputSize(), a.inputSize(), la);
  }

  /** {@link #factored} of layer {@code name} at {@code rank}, built once per search and cached. */
  private static AffineLayer cachedFactored(Map<String, Object> cache, String name, Linear a, ProjectionBasis b,
      int rank) {
    return (AffineLayer) cache.computeIfAbsent(name + "/" + rank, key -> factored(a, b, rank));
  }

  private static LowRankLinear factored(Linear a, ProjectionBasis b, int rank) {
    return b.factors(Math.min(rank, b.maxRank()), a.weight().data(), a.bias().data(), a.inputSize()).layer(false);
  }

  private static BatchNet.ProjectedInput projected(float[] table, ProjectionBasis b, int k) {
    int d = b.out();
    int p = b.maxRank();
    float[] proj = new float[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double s = 0;
        for (int r = 0; r < k; r++) {
          s += b.basis()[i * p + r] * b.basis()[j * p + r];
        }
        proj[i * d + j] = (float) s;
      }
    }
    return new BatchNet.ProjectedInput(table, d, proj, ProjectionBasis.toFloat(b.anchor()));
  }

  static float[] probs(float[] logits) {
    float[] p = new float[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = Scorer.sigmoid(logits[i]);
    }
    return p;
  }
}
