package io.ctrstreams.recompressor;

import io.ctrstreams.model.CtrModel;
import java.util.List;
import java.util.Locale;

/**
 * A compressed model and how it was made.
 *
 * @param model the compressed model
 * @param plan the ranks it was built with
 * @param method AFM or SVD
 * @param layers one report per compressible layer, in compression order
 * @param bytesBefore float32 parameter bytes of the full model
 * @param bytesAfter float32 parameter bytes of the compressed model
 * @param flopsBefore FLOPs per candidate of the full model (2 per multiply-add)
 * @param flopsAfter FLOPs per candidate of the compressed model
 * @param seconds wall time of the in-order compression
 * @param stageSeconds wall time per stage (embeddings, forward passes, statistics, ...)
 */
public record CompressionResult(
    CtrModel model, RankPlan plan, CompressionMethod method, List<LayerReport> layers, long bytesBefore,
    long bytesAfter, long flopsBefore, long flopsAfter, double seconds, java.util.Map<String, Double> stageSeconds) {

  public CompressionResult {
    layers = List.copyOf(layers);
    stageSeconds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(stageSeconds));
  }

  /** bytesBefore / bytesAfter. */
  public double ratio() {
    return bytesBefore / (double) bytesAfter;
  }

  /** The per-layer table and totals, as {@code ctr compress} prints them. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-16s %-16s %6s %12s %12s %10s %10s %9s %9s%n", "layer", "shape", "rank",
        "bytes_before", "bytes_after", "flops_bef", "flops_aft", "retained", "out_err"));
    for (LayerReport l : layers) {
      sb.append(String.format(Locale.ROOT, "%-16s %-16s %6s %12d %12d %10d %10d %9s %9s%n", l.layer(), l.shape(),
          l.rank() == 0 ? "dense" : Integer.toString(l.rank()), l.bytesBefore(), l.bytesAfter(), l.flopsBefore(),
          l.flopsAfter(), Double.isNaN(l.retainedEnergy()) ? "-" : String.format(Locale.ROOT, "%.4f", l.retainedEnergy()),
          Double.isNaN(l.outputError()) ? "-" : String.format(Locale.ROOT, "%.4f", l.outputError())));
    }
    sb.append(String.format(Locale.ROOT, "method=%s plan=%s%n", method.label(), plan));
    sb.append(String.format(Locale.ROOT, "bytes before=%d after=%d ratio=%.2fx%n", bytesBefore, bytesAfter, ratio()));
    sb.append(String.format(Locale.ROOT, "flops before=%d after=%d speedup=%.2fx%n", flopsBefore, flopsAfter,
        flopsBefore / (double) Math.max(1, flopsAfter)));
    sb.append(String.format(Locale.ROOT, "compression time %.2f s (%s)", seconds,
        io.ctrstreams.recompressor.internal.Stages.format(stageSeconds)));
    return sb.toString();
  }
}
