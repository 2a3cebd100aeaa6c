package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * Top-k per tensor with the delta stream's selection ({@link DeltaEncoder#topK}: largest squared
 * magnitude per unit, ties to the lower index): in every tensor of the {@link ParamLayout} the
 * {@code ceil(ratio * units)} units with the largest norm, elements for dense tensors and whole
 * rows for embedding tables (row top-k). Values optionally travel as fp16 ({@link
 * ValueEncoding#FP16}, clamped to +-65504); the rounded value is what {@code C} returns, so the rounding error stays
 * with the sender (in {@code e_i}) like the rest of what was not sent.
 *
 * <p>Contraction: per tensor the kept units carry at least {@code k/units} of its squared norm, so
 * {@code delta >= min_t k_t / units_t >= ratio} with fp32 values. fp16 rounding (relative error
 * {@code <= 2^-11}) lowers that by a negligible amount for the ratios used here. Wire size: per
 * sent unit a 4-byte index plus {@code unit} values.
 */
public final class TopKCompressor implements Compressor {
  private static final float HALF_MAX = 65504f;
  private final ParamLayout layout;
  private final double ratio;
  private final ValueEncoding encoding;
  private final float[][] scores;
  private final int[] k;
  private final double delta;

  /**
   * @param ratio fraction of units kept per tensor, in (0, 1]
   * @throws TrainerException if the ratio is out of range
   */
  public TopKCompressor(ParamLayout layout, double ratio, ValueEncoding encoding) {
    if (!(ratio > 0 && ratio <= 1)) {
      throw new TrainerException("top-k ratio must be in (0, 1], found " + ratio);
    }
    this.layout = layout;
    this.ratio = ratio;
    this.encoding = encoding;
    int n = layout.segments().size();
    scores = new float[n][];
    k = new int[n];
    double d = 1;
    for (int t = 0; t < n; t++) {
      ParamLayout.Segment s = layout.segments().get(t);
      scores[t] = new float[s.units()];
      k[t] = (int) Math.min(s.units(), Math.ceil(ratio * s.units()));
      d = Math.min(d, (double) k[t] / s.units());
    }
    this.delta = d;
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
      int[] picked = DeltaEncoder.topK(sc, sc.length, k[t]);
      for (int u : picked) {
        int base = s.offset() + u * unit;
        for (int c = 0; c < unit; c++) {
          float x = v[base + c];
          out[base + c] = encoding == ValueEncoding.FP16 ? encoding.round(Math.max(-HALF_MAX, Math.min(HALF_MAX, x))) : x;
        }
      }
      bytes += (long) picked.length * (4 + (long) unit * encoding.bytesPerValue());
    }
    return bytes;
  }

  @Override
  public double contraction() {
    return delta;
  }

  @Override
  public long denseBytes() {
    return 4L * layout.size();
  }
}
