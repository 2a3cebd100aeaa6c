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
 * Wire size: per sent unit a 4-byte index plus {@code unit} values.
 *
 * <p>Dense tensors sent whole in int8 ({@code denseRatio = 1}, dense encoding {@link
 * ValueEncoding#INT8}): each dense tensor travels as aligned blocks of {@link ValueEncoding#BLOCK}
 * values, each as 8-bit integers times one bfloat16 scale ({@link ValueEncoding#quantize}: {@code
 * s = bf16(max|v| / 127)}), with no index: {@code units + 2 * ceil(units / 32)} bytes. The
 * quantized value is what {@code C} returns, so its error (at most {@code s / 2} per value, under
 * 0.05% of the block's squared norm) stays in {@code e_i} like fp16's. It carries the dense
 * tensors nearly exactly at about half their fp16 bytes (QUALITY.md 5.7; {@code ctr
 * exchange-experiment --dense-values int8}, {@code ctr trainer}'s {@code exchange.dense.int8}: the
 * record's version 3, {@link ExchangeMessage}).
 *
 * <p>The selection runs on the compressor's own buffers ({@link DeltaEncoder#topK(float[], int,
 * int, float[], int[])}): no
 * allocation per round.
 */
public final class TopKCompressor implements Compressor {
  private static final float HALF_MAX = 65504f;
  private final ParamLayout layout;
  private final double ratio;
  private final ValueEncoding encoding;
  /** Non-null: the dense tensors travel whole in this quantized encoding. */
  private final ValueEncoding wholeDense;
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
    this(layout, ratio, denseRatio, encoding, encoding);
  }

  /**
   * With the dense tensors' own value encoding: {@code encoding} (as the tables), or {@link
   * ValueEncoding#INT8} with {@code denseRatio = 1} (whole tensors in blocks with a scale).
   *
   * @throws TrainerException if a ratio is out of range or the dense encoding is not possible
   */
  public TopKCompressor(ParamLayout layout, double ratio, double denseRatio, ValueEncoding encoding,
      ValueEncoding denseEncoding) {
    if (denseEncoding != encoding && denseEncoding != ValueEncoding.INT8) {
      throw new TrainerException("dense tensors travel in the tables' encoding (" + encoding + ") or int8, found "
          + denseEncoding);
    }
    if (denseEncoding == ValueEncoding.INT8 && denseRatio != 1) {
      throw new TrainerException("int8 dense values need the dense tensors sent whole (dense ratio 1), found dense"
          + " ratio " + denseRatio);
    }
    this.wholeDense = denseEncoding == ValueEncoding.INT8 ? denseEncoding : null;
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
      if (wholeDense != null && unit == 1) {
        bytes += quantizeWhole(s, v, out);
        continue;
      }
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

  /** A dense tensor whole in {@link #wholeDense}: writes the quantized blocks, returns their bytes. */
  private long quantizeWhole(ParamLayout.Segment s, float[] v, float[] out) {
    int units = s.units();
    for (int b0 = 0; b0 < units; b0 += ValueEncoding.BLOCK) {
      wholeDense.quantize(v, s.offset() + b0, Math.min(ValueEncoding.BLOCK, units - b0), out, s.offset() + b0);
    }
    return ExchangeMessage.wholeInt8Bytes(units);
  }

  /** The dense tensors' encoding: {@link #encoding()}, or INT8 when they travel whole in blocks. */
  public ValueEncoding denseEncoding() {
    return wholeDense == null ? encoding : wholeDense;
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
