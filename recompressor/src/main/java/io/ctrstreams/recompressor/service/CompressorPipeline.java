package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.recompressor.CompressionMethod;
import io.ctrstreams.recompressor.CompressionResult;
import io.ctrstreams.recompressor.CompressionSearch;
import io.ctrstreams.recompressor.Compressor;
import io.ctrstreams.recompressor.Distiller;
import io.ctrstreams.recompressor.Linalg;
import io.ctrstreams.recompressor.RankPlan;
import io.ctrstreams.recompressor.RecompressorException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link CompressionPipeline}: encodes the calibration rows with the full model's
 * encoder, chooses a {@link RankPlan} (a rank search under {@code full bytes / ratio} with
 * {@link CompressionSearch}, or a fixed plan, which keeps ranks stable across versions as the
 * paper's streaming note recommends) and builds the student in order with {@link Compressor}
 * (AFM by default). For DNNs the embedding up-projections fold into the first hidden layer.
 * With {@code distillSteps > 0} the student is then distilled from the full teacher on 80% of the
 * calibration rows (teacher probabilities as soft targets) and kept only if its fidelity on the
 * other 20% improves ({@link Distiller}).
 */
public final class CompressorPipeline implements CompressionPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(CompressorPipeline.class);

  /** How the ranks are chosen. */
  public enum Search {
    /** {@link CompressionSearch} under the byte budget on every snapshot. */
    GA,
    /** One embedding rank for every lookup field and fixed hidden-layer ranks. */
    FIXED
  }

  private final Compressor compressor;
  private final Search search;
  private final double ratio;
  private final int embeddingRank;
  private final int[] mlpRanks;
  private final long seed;
  private final int distillSteps;
  private boolean foldEmbeddings = true;

  /**
   * @param method AFM or SVD
   * @param search GA (budget = full bytes / ratio) or FIXED (embeddingRank, mlpRanks)
   * @param ratio target compression ratio for the search, > 1
   * @param embeddingRank rank of every lookup field's embedding for FIXED (0 = dense)
   * @param mlpRanks hidden-layer ranks for FIXED (0 = dense; shorter than the MLP = dense rest)
   * @param seed seed of the search
   */
  public CompressorPipeline(CompressionMethod method, Search search, double ratio, int embeddingRank, int[] mlpRanks,
      long seed) {
    this(method, search, ratio, embeddingRank, mlpRanks, seed, 0);
  }

  /**
   * As above, plus distillation.
   *
   * @param distillSteps distillation steps after factorization, 0 = none
   */
  public CompressorPipeline(CompressionMethod method, Search search, double ratio, int embeddingRank, int[] mlpRanks,
      long seed, int distillSteps) {
    if (distillSteps < 0) {
      throw new RecompressorException("distillation steps must be >= 0, found " + distillSteps);
    }
    this.distillSteps = distillSteps;
    if (!(ratio > 1)) {
      throw new RecompressorException("compression ratio must be > 1, found " + ratio);
    }
    this.compressor = new Compressor(method, Linalg.defaultLinalg());
    this.search = search;
    this.ratio = ratio;
    this.embeddingRank = embeddingRank;
    this.mlpRanks = mlpRanks.clone();
    this.seed = seed;
  }

  /** The pipeline {@link RecompressorConfig} describes. */
  public static CompressorPipeline fromConfig(RecompressorConfig c) {
    CompressionMethod method = CompressionMethod.valueOf(
        c.getString(RecompressorConfig.COMPRESSION_METHOD_CONFIG).toUpperCase(Locale.ROOT));
    return new CompressorPipeline(method, c.compressionSearch(), c.compressionRatio(),
        c.getInt(RecompressorConfig.COMPRESSION_EMBEDDING_RANK_CONFIG), c.compressionMlpRanks(),
        c.getLong(RecompressorConfig.COMPRESSION_SEED_CONFIG), c.getInt(RecompressorConfig.COMPRESSION_DISTILL_STEPS_CONFIG))
        .foldEmbeddings(!c.deltaEnabled());
  }

  /**
   * Whether DNN students fold the embedding projections into the first layer (default true). Delta
   * refresh turns it off: a changed full embedding row is projected onto the field's basis P
   * ({@link io.ctrstreams.recompressor.DeltaProjector}), which the folded form no longer holds.
   */
  public CompressorPipeline foldEmbeddings(boolean on) {
    this.foldEmbeddings = on;
    return this;
  }

  @Override
  public CtrModel compress(CtrModel full, CompressionData data) {
    Calibration calib = encode(full, data.calibration());
    boolean fold = foldEmbeddings && full.spec().architecture() == Architecture.DNN && full.spec().mlpLayers() > 0;
    RankPlan plan;
    Calibration buildRows = calib;
    if (search == Search.GA) {
      long budget = (long) (4L * full.parameterCount() / ratio);
      CompressionSearch.Result sr = new CompressionSearch(compressor, CompressionSearch.Options.defaults(seed))
          .search(full, calib, budget, fold);
      plan = sr.plan();
      buildRows = calib.slice(0, sr.searchRows());
      LOG.info("rank search ({} s) chose {}", String.format(Locale.ROOT, "%.1f", sr.seconds()), plan);
    } else {
      int[] mlp = Arrays.copyOf(mlpRanks, full.spec().mlpLayers());
      plan = RankPlan.of(full.spec(), embeddingRank, mlp, new int[full.spec().crossLayers()], fold);
    }
    CompressionResult r = compressor.compress(full, buildRows, plan);
    Map<String, String> meta = new LinkedHashMap<>(full.metadata());
    meta.put("compression-method", r.method().label());
    meta.put("rank-plan", plan.toString());
    meta.put("parameter-bytes-before", Long.toString(r.bytesBefore()));
    meta.put("parameter-bytes-after", Long.toString(r.bytesAfter()));
    meta.put("flops-before", Long.toString(r.flopsBefore()));
    meta.put("flops-after", Long.toString(r.flopsAfter()));
    CtrModel student = r.model();
    int split = calib.rows() * 4 / 5;
    if (distillSteps > 0 && split > 0 && split < calib.rows()) {
      Distiller.Result d = new Distiller(Distiller.Options.defaults(seed).withSteps(distillSteps))
          .distill(full, student, calib.slice(0, split), calib.slice(split, calib.rows()));
      LOG.info("{}", d.format());
      student = d.model();
      meta.put("distillation-kept", Boolean.toString(d.kept()));
    }
    student = student.withMetadata(meta);
    return student.withCalibration(refitCalibration(student, data));
  }

  /**
   * The student's Platt map fitted on the labelled holdout (issue 19): compression and
   * distillation move the logits' level, so the map trained with the full model does not carry
   * over. Without labelled rows of both classes the map is none (plain sigmoid).
   */
  static io.ctrstreams.model.Calibration refitCalibration(CtrModel student, CompressionData data) {
    List<Map<String, Object>> rows = data.holdout();
    if (rows == null || rows.isEmpty()) {
      return io.ctrstreams.model.Calibration.none();
    }
    float[] z = io.ctrstreams.recompressor.gate.QualityGate.logits(student, rows);
    double[] zd = new double[z.length];
    boolean[] y = new boolean[z.length];
    for (int i = 0; i < z.length; i++) {
      zd[i] = z[i];
      y[i] = data.holdoutLabels()[i] > 0.5f;
    }
    return io.ctrstreams.model.Calibration.fitPlatt(zd, y);
  }

  /** Encodes raw rows with the full model's encoder (labels unknown: NaN). */
  static Calibration encode(CtrModel full, List<Map<String, Object>> rows) {
    Calibration c = new Calibration(full.spec().fieldCount(), rows.size());
    FeatureVector scratch = full.encoder().newFeatureVector();
    for (Map<String, Object> row : rows) {
      c.add(full.encoder(), row, Float.NaN, scratch);
    }
    return c;
  }
}
