package io.ctrstreams.topology;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The time series behind the live page ({@code /} on the metrics port): every second it reads
 * the service's own registry and keeps the last {@value #CAPACITY} points of impressions per
 * second, scoring latency p99 (from the histogram's bucket increments in the interval), online
 * AUC of the live and the shadow model, the live version and its age, and dead letters per
 * second, plus the times the live version changed. {@link #json()} serves them to the page.
 */
public final class LiveSeries implements AutoCloseable {
  /** Points kept (10 minutes at one per second). */
  public static final int CAPACITY = 600;

  private final PrometheusRegistry registry;
  private final ScheduledExecutorService executor;
  private final List<double[]> points = new ArrayList<>(); // t, impr/s, p99 ms, auc live, auc shadow, version, age, dlq/s
  private final List<Long> swaps = new ArrayList<>();
  private double lastImpressions = Double.NaN;
  private double lastDlq = Double.NaN;
  private double[] lastBuckets;
  private long lastMs;
  private double lastVersion = Double.NaN;

  /** A sampler of {@code registry} (not started). */
  public LiveSeries(PrometheusRegistry registry) {
    this.registry = registry;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ctr-live-series");
      t.setDaemon(true);
      return t;
    });
  }

  /** Samples every second from now on. */
  public LiveSeries start() {
    executor.scheduleAtFixedRate(() -> sample(System.currentTimeMillis()), 0, 1, TimeUnit.SECONDS);
    return this;
  }

  /** Takes one sample at {@code nowMs} (also for tests). */
  synchronized void sample(long nowMs) {
    double impressions = 0;
    double dlq = 0;
    double aucLive = Double.NaN;
    double aucShadow = Double.NaN;
    double version = Double.NaN;
    double age = Double.NaN;
    double[] buckets = null;
    double[] les = null;
    for (MetricSnapshot s : registry.scrape()) {
      String name = s.getMetadata().getName();
      if (s instanceof CounterSnapshot c && name.equals("ctr_impressions_scored")) {
        for (var p : c.getDataPoints()) {
          impressions += p.getValue();
        }
      } else if (s instanceof CounterSnapshot c && name.equals("ctr_dlq_records")) {
        for (var p : c.getDataPoints()) {
          dlq += p.getValue();
        }
      } else if (s instanceof GaugeSnapshot g && name.equals("ctr_online_auc")) {
        for (var p : g.getDataPoints()) {
          boolean live = "live".equals(p.getLabels().get("variant"));
          double v = p.getValue();
          if (!Double.isNaN(v)) {
            if (live) {
              aucLive = Double.isNaN(aucLive) ? v : Math.max(aucLive, v);
            } else {
              aucShadow = Double.isNaN(aucShadow) ? v : Math.max(aucShadow, v);
            }
          }
        }
      } else if (s instanceof GaugeSnapshot g && (name.equals("ctr_model_version") || name.equals("ctr_model_age_seconds"))) {
        for (var p : g.getDataPoints()) {
          if ("live".equals(p.getLabels().get("role"))) {
            if (name.equals("ctr_model_version")) {
              version = p.getValue();
            } else {
              age = p.getValue();
            }
          }
        }
      } else if (s instanceof HistogramSnapshot h && name.equals("ctr_scoring_latency_seconds")
          && !h.getDataPoints().isEmpty()) {
        var dp = h.getDataPoints().get(0);
        List<ClassicHistogramBucket> bs = new ArrayList<>();
        dp.getClassicBuckets().forEach(bs::add);
        buckets = new double[bs.size()];
        les = new double[bs.size()];
        for (int i = 0; i < bs.size(); i++) {
          buckets[i] = bs.get(i).getCount(); // per bucket, not cumulative
          les[i] = bs.get(i).getUpperBound();
        }
      }
    }
    double seconds = lastMs == 0 ? Double.NaN : (nowMs - lastMs) / 1e3;
    double imprRate = rate(impressions, lastImpressions, seconds);
    double dlqRate = rate(dlq, lastDlq, seconds);
    double p99 = Double.NaN;
    if (buckets != null && lastBuckets != null && lastBuckets.length == buckets.length) {
      double[] inc = new double[buckets.length];
      for (int i = 0; i < inc.length; i++) {
        inc[i] = Math.max(0, buckets[i] - lastBuckets[i]);
      }
      p99 = quantile(0.99, les, inc) * 1e3;
    }
    if (!Double.isNaN(version) && !Double.isNaN(lastVersion) && version != lastVersion) {
      swaps.add(nowMs);
      if (swaps.size() > CAPACITY) {
        swaps.remove(0);
      }
    }
    points.add(new double[] {nowMs, imprRate, p99, aucLive, aucShadow, version, age, dlqRate});
    if (points.size() > CAPACITY) {
      points.remove(0);
    }
    lastImpressions = impressions;
    lastDlq = dlq;
    lastBuckets = buckets;
    lastMs = nowMs;
    if (!Double.isNaN(version)) {
      lastVersion = version;
    }
  }

  private static double rate(double now, double before, double seconds) {
    return Double.isNaN(before) || !(seconds > 0) ? Double.NaN : Math.max(0, now - before) / seconds;
  }

  /**
   * The {@code q} quantile of observations counted per bucket ({@code counts[i]} with upper bound
   * {@code les[i]}, ascending), interpolated linearly inside the bucket as Prometheus'
   * histogram_quantile does; NaN when nothing was observed.
   */
  static double quantile(double q, double[] les, double[] counts) {
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double seen = 0;
    for (int i = 0; i < counts.length; i++) {
      if (seen + counts[i] >= rank) {
        double lower = i == 0 ? 0 : les[i - 1];
        double upper = les[i];
        if (Double.isInfinite(upper)) {
          return lower;
        }
        return counts[i] == 0 ? upper : lower + (upper - lower) * (rank - seen) / counts[i];
      }
      seen += counts[i];
    }
    return les[les.length - 1];
  }

  /** The kept points and swap times as JSON (NaN as null). */
  public synchronized String json() {
    String[] keys = {"t", "impressionsPerSecond", "p99Ms", "aucLive", "aucShadow", "version", "ageSeconds",
        "deadLettersPerSecond"};
    StringBuilder b = new StringBuilder("{");
    for (int k = 0; k < keys.length; k++) {
      b.append('"').append(keys[k]).append("\":[");
      for (int i = 0; i < points.size(); i++) {
        double v = points.get(i)[k];
        b.append(i == 0 ? "" : ",").append(Double.isFinite(v) ? String.format(Locale.ROOT, k == 0 ? "%.0f" : "%.6g", v)
            : "null");
      }
      b.append("],");
    }
    b.append("\"swaps\":[");
    for (int i = 0; i < swaps.size(); i++) {
      b.append(i == 0 ? "" : ",").append(swaps.get(i));
    }
    return b.append("]}").toString();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
