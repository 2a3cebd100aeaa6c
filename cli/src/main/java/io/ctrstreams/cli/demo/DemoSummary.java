package io.ctrstreams.cli.demo;

import java.util.List;
import java.util.Locale;

/**
 * What one demo run did.
 *
 * @param seconds wall time
 * @param impressionsSent impressions produced
 * @param clicksSent clicks produced
 * @param impressionsScored impressions the topology scored
 * @param labeled labeled examples read back
 * @param paired labeled examples with both a live and a shadow pCTR
 * @param examplesTrained examples the trainer trained on
 * @param snapshots full snapshots published
 * @param accepted recompressions published
 * @param rejected recompressions the gate rejected
 * @param failed recompressions that failed
 * @param swaps live model swaps in the topology (the first load included)
 * @param liveVersion live version at the end, or -1
 * @param liveRatio its compression ratio
 * @param liveVersionsLabeled live versions that served labeled examples
 * @param aucLive online AUC of the live (compressed) model over the run
 * @param aucFull online AUC of the shadow (full) model on the same examples
 * @param dlq dead-lettered records
 * @param deltasApplied compressed deltas the topology applied to the live model
 * @param deltaBytes bytes of the compressed deltas the recompressor sent
 * @param freshnessP50 median seconds from a delta's making to the first score with it (NaN: none)
 * @param freshnessP99 99th percentile of the same
 */
public record DemoSummary(
    double seconds, long impressionsSent, long clicksSent, long impressionsScored, long labeled, long paired,
    long examplesTrained, long snapshots, long accepted, long rejected, long failed, long swaps, long liveVersion,
    double liveRatio, List<Long> liveVersionsLabeled, double aucLive, double aucFull, long dlq, long deltasApplied,
    long deltaBytes, double freshnessP50, double freshnessP99) {

  /** The summary block printed at the end. */
  public String format() {
    return String.format(Locale.ROOT,
        "--- ctr demo summary (%.0f s) ---%n"
            + "traffic:       %d impressions, %d clicks sent; %d impressions scored; %d labeled (%d with shadow)%n"
            + "trainer:       %d examples, %d full snapshots published%n"
            + "recompressor:  %d published, %d rejected by the gate, %d failed%n"
            + "topology:      %d swaps; live v%d (%.2fx compressed); versions serving labeled traffic %s%n"
            + "online AUC:    compressed %.4f vs full %.4f (delta %+.4f) on the same %d examples%n"
            + "refresh:       %d compressed deltas applied (%d bytes); freshness p50 %.2f s, p99 %.2f s%n"
            + "DLQ:           %d records",
        seconds, impressionsSent, clicksSent, impressionsScored, labeled, paired, examplesTrained, snapshots,
        accepted, rejected, failed, swaps, liveVersion, liveRatio, liveVersionsLabeled, aucLive, aucFull,
        aucLive - aucFull, paired, deltasApplied, deltaBytes, freshnessP50, freshnessP99, dlq);
  }
}
