package io.ctrstreams.topology;

import io.ctrstreams.model.eval.MetricsSnapshot;
import io.ctrstreams.model.eval.WindowedMetrics;
import io.ctrstreams.schemas.LabeledExample;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Online model quality from the labeled stream: windowed AUC, logloss and calibration
 * (sum p / positives) per model name, version, variant (live, shadow) and source (the path that
 * served the impression: {@code stream} for the scoring topology, {@code rpc} for {@code ctr serve}),
 * on a sliding window
 * of stream time ({@code labeledAtMs}), exported as gauges {@code ctr_online_auc},
 * {@code ctr_online_logloss}, {@code ctr_online_calibration} and {@code ctr_online_examples}.
 *
 * <p>Fed on the stream thread by the label join ({@link LabelListener}); read at scrape time by
 * Prometheus. {@link WindowedMetrics} is synchronized, the series map is guarded by this
 * object. Only the {@value #MAX_SERIES} most recently created series are kept, so label
 * cardinality stays bounded as versions roll, and a series whose window has emptied (a version
 * no longer served, once the window has slid past its last label) is dropped at the next scrape
 * instead of being exported as NaN.
 */
public final class OnlineMetrics implements LabelListener, MultiCollector {
  /** Series kept (model x version x variant x source). */
  public static final int MAX_SERIES = 16;
  /** The {@code source} label of impressions scored by the topology (records without a source). */
  public static final String STREAM = "stream";

  private final long windowMs;
  private final Map<List<String>, WindowedMetrics> series = new LinkedHashMap<>();
  private volatile long streamTimeMs;

  /** Online metrics over a sliding window of {@code windowMs} of stream time. */
  public OnlineMetrics(long windowMs) {
    this.windowMs = windowMs;
  }

  @Override
  public void onLabel(LabeledExample e) {
    boolean clicked = e.getLabel() == 1;
    long ts = e.getLabeledAtMs();
    if (ts > streamTimeMs) {
      streamTimeMs = ts;
    }
    String source = e.getSource() == null ? STREAM : e.getSource();
    window(e.getModelName(), e.getModelVersion(), "live", source).add(ts, e.getServedPctr(), clicked);
    if (e.getShadowPctr() != null && e.getShadowModelVersion() != null) {
      window(e.getModelName(), e.getShadowModelVersion(), "shadow", source).add(ts, e.getShadowPctr(), clicked);
    }
  }

  private synchronized WindowedMetrics window(String model, long version, String variant, String source) {
    List<String> key = List.of(model, Long.toString(version), variant, source);
    WindowedMetrics w = series.get(key);
    if (w == null) {
      if (series.size() >= MAX_SERIES) {
        Iterator<List<String>> it = series.keySet().iterator();
        it.next();
        it.remove();
      }
      w = new WindowedMetrics(windowMs);
      series.put(key, w);
    }
    return w;
  }

  /** The current snapshot of one series of the topology's impressions, or null (for tests and tools). */
  public MetricsSnapshot snapshot(String model, long version, String variant) {
    return snapshot(model, version, variant, STREAM);
  }

  /** The current snapshot of one series, or null (for tests and tools). */
  public synchronized MetricsSnapshot snapshot(String model, long version, String variant, String source) {
    WindowedMetrics w = series.get(List.of(model, Long.toString(version), variant, source));
    return w == null ? null : w.snapshot(streamTimeMs);
  }

  @Override
  public MetricSnapshots collect() {
    Map<List<String>, WindowedMetrics> copy;
    long now = streamTimeMs;
    synchronized (this) {
      // a version no longer served empties its window: its series goes (no NaN series forever)
      series.values().removeIf(w -> w.snapshot(now).count() == 0);
      copy = new LinkedHashMap<>(series);
    }
    GaugeSnapshot.Builder auc = GaugeSnapshot.builder().name("ctr_online_auc")
        .help("AUC of served pctr against click labels over the online window, per model version and variant.");
    GaugeSnapshot.Builder logloss = GaugeSnapshot.builder().name("ctr_online_logloss")
        .help("Logloss (natural log) of served pctr over the online window.");
    GaugeSnapshot.Builder calibration = GaugeSnapshot.builder().name("ctr_online_calibration")
        .help("Sum of predicted pctr / number of clicks over the online window (1 = calibrated).");
    GaugeSnapshot.Builder examples = GaugeSnapshot.builder().name("ctr_online_examples")
        .help("Labeled examples in the online window.");
    List<GaugeSnapshot.Builder> all = new ArrayList<>(List.of(auc, logloss, calibration, examples));
    for (Map.Entry<List<String>, WindowedMetrics> e : copy.entrySet()) {
      Labels l = Labels.of("model", e.getKey().get(0), "version", e.getKey().get(1), "variant", e.getKey().get(2),
          "source", e.getKey().get(3));
      MetricsSnapshot s = e.getValue().snapshot(now);
      auc.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.auc()).build());
      logloss.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.logloss()).build());
      calibration.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.calibration()).build());
      examples.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.count()).build());
    }
    List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>();
    for (GaugeSnapshot.Builder b : all) {
      out.add(b.build());
    }
    return new MetricSnapshots(out);
  }
}
