package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * Top-k per tensor with the delta stream's selection ({@link DeltaEncoder#topK}: largest squared
 * magnitude per unit, ties to the lower index): in every tensor of the {@link ParamLayout} the
 * {@code ceil(ratio * units)} units with the largest norm, elements for dense tensors and whole
 * rows for embedding tables (row top-k). The dense tensors may have their own ratio: their
 * gradient is dense every round, a table's covers only the rows the round touched. Values
 * optionally travel as fp16 ({@link ValueEncoding#FP16}, clamped to +-65504); the rounded value
 * is what {@code C} returns, so the rounding error stays with the sender (in {@code e_i}) like the
 * rest of what was not sent.
 *
 * <p>Contraction: per tensor the kept units carry at least {@code k/units} of its squared norm, so
 * {@code delta >= min_t k_t / units_t >= min(ratio, denseRatio)} with fp32 values. fp16 rounding
 * (relative error {@code <= 2^-11}) lowers that by a negligible amount for the ratios used here.
 * Wire size: per sent unit a 4-byte index plus {@code unit} values. The selection runs on the
 * compressor's own buffers ({@link DeltaEncoder#topK(float[], int, int, float[], int[])}): no
 * allocation per round.
 */
public final class TopKCompressor implements Compressor {
  private static final float HALF_MAX = 65504f;
  private final ParamLayout layout;
  private final double ratio;
  private final ValueEncoding encoding;
  private final float[][] scores;
  private final int[] k;
  private final double delta;
  /** Selection buffers, sized for the largest tensor: no allocation per round. */
  private final float[] scratch;
  private final int[] picked;

  /**
   * @param ratio fraction of units kept per tensor, in (0, 1]
   * @throws TrainerException if the ratio is out of range
   */
  public TopKCompressor(ParamLayout layout, double ratio, ValueEncoding encoding) {
    this(layout, ratio, ratio, encoding);
  }

  /**
   * With its own ratio for the dense tensors (unit 1); {@code ratio} applies to the tables.
   *
   * @throws TrainerException if a ratio is out of range
   */
  public TopKCompressor(ParamLayout layout, double ratio, double denseRatio, ValueEncoding encoding) {
    if (!(ratio > 0 && ratio <= 1)) {
      throw new TrainerException("top-k ratio must be in (0, 1], found " + ratio);
    }
    if (!(denseRatio > 0 && denseRatio <= 1)) {
      throw new TrainerException("dense top-k ratio must be in (0, 1], found " + denseRatio);
    }
    this.layout = layout;
    this.ratio = ratio;
    this.encoding = encoding;
    int n = layout.segments().size();
    scores = new float[n][];
    k = new int[n];
    double d = 1;
    int maxUnits = 0;
    int maxK = 0;
    for (int t = 0; t < n; t++) {
      ParamLayout.Segment s = layout.segments().get(t);
      scores[t] = new float[s.units()];
      k[t] = (int) Math.min(s.units(), Math.ceil((s.unit() == 1 ? denseRatio : ratio) * s.units()));
      d = Math.min(d, (double) k[t] / s.units());
      maxUnits = Math.max(maxUnits, s.units());
      maxK = Math.max(maxK, k[t]);
    }
    this.delta = d;
    this.scratch = new float[maxUnits];
    this.picked = new int[maxK];
  }

  public double ratio() {
    return ratio;
  }

  public ValueEncoding encoding() {
    return encoding;
  }

  @Override
  public long compress(float[] v, float[] out) {
    Arrays.fill(out, 0, layout.size(), 0f);
    long bytes = 0;
    for (int t = 0; t < scores.length; t++) {
      ParamLayout.Segment s = layout.segments().get(t);
      int unit = s.unit();
      float[] sc = scores[t];
      for (int u = 0; u < sc.length; u++) {
        double q = 0;
        int base = s.offset() + u * unit;
        for (int c = 0; c < unit; c++) {
          q += (double) v[base + c] * v[base + c];
        }
        sc[u] = (float) q;
      }
      int count = DeltaEncoder.topK(sc, sc.length, k[t], scratch, picked);
      for (int p = 0; p < count; p++) {
        int base = s.offset() + picked[p] * unit;
        for (int c = 0; c < unit; c++) {
          float x = v[base + c];
          out[base + c] = encoding == ValueEncoding.FP16 ? encoding.round(Math.max(-HALF_MAX, Math.min(HALF_MAX, x))) : x;
        }
      }
      bytes += (long) count * (4 + (long) unit * encoding.bytesPerValue());
    }
    return bytes;
  }

  @Override
  public double contraction() {
    return delta;
  }

  /** Tensor t's own contraction bound {@code k_t / units_t}. */
  public double contraction(int t) {
    return (double) k[t] / layout.segments().get(t).units();
  }

  @Override
  public long denseBytes() {
    return 4L * layout.size();
  }
}
