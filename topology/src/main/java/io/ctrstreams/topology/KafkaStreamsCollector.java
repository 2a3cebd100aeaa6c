package io.ctrstreams.topology;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Bridges Kafka Streams (and its clients') metrics into Prometheus in process, read at scrape
 * time from {@code KafkaStreams#metrics()} so nothing is polled or copied between scrapes.
 *
 * <p>Mapping: name = {@code kafka_streams_<group>_<name>} sanitized ({@code -} and {@code .} to
 * {@code _}, the {@code -metrics} suffix of the group dropped); tags become labels. A
 * {@code *-total} metric is cumulative in Kafka, so it becomes a Prometheus counter (exposed as
 * {@code ..._total}); everything else a gauge. Non-numeric values (e.g. version strings) and
 * NaN counters are skipped. Prometheus requires one label-name set per metric family, but Kafka
 * tags differ between e.g. thread- and client-level metrics of one name: the union of tag names
 * is used and missing ones are empty strings. Duplicates (same name and labels) keep the first.
 */
public final class KafkaStreamsCollector implements MultiCollector {
  private static final String PREFIX = "kafka_streams_";

  private final Supplier<Map<MetricName, ? extends Metric>> metrics;

  /** A collector over a metrics supplier, e.g. {@code streams::metrics}. */
  public KafkaStreamsCollector(Supplier<Map<MetricName, ? extends Metric>> metrics) {
    this.metrics = metrics;
  }

  private static final class Family {
    final boolean counter;
    final String help;
    final TreeSet<String> labelNames = new TreeSet<>();
    final List<Map.Entry<Map<String, String>, Double>> points = new ArrayList<>();

    Family(boolean counter, String help) {
      this.counter = counter;
      this.help = help;
    }
  }

  @Override
  public MetricSnapshots collect() {
    return collect(name -> true);
  }

  /**
   * Only the families whose name {@code includedNames} accepts, tested before any metric value is
   * read: a filtered scrape (e.g. of one histogram) must not pay for reading and converting every
   * Kafka metric, which the interface's default (collect all, then filter) would.
   */
  @Override
  public MetricSnapshots collect(Predicate<String> includedNames) {
    Map<MetricName, ? extends Metric> all = metrics.get();
    Map<String, Family> families = new LinkedHashMap<>();
    if (all != null) {
      for (Map.Entry<MetricName, ? extends Metric> e : all.entrySet()) {
        MetricName mn = e.getKey();
        boolean counter = mn.name().endsWith("-total");
        String raw = counter ? mn.name().substring(0, mn.name().length() - "-total".length()) : mn.name();
        String base = prometheusName(mn.group(), baseUnitName(raw));
        if (!includedNames.test(base)) {
          continue;
        }
        Object v;
        try {
          v = e.getValue().metricValue();
        } catch (RuntimeException ex) {
          continue; // a metric whose gauge fails must not fail the scrape
        }
        if (!(v instanceof Number)) {
          continue;
        }
        double value = ((Number) v).doubleValue();
        if (counter && (Double.isNaN(value) || value < 0)) {
          continue;
        }
        value *= unitScale(raw);
        Family f = families.get(base);
        if (f == null) {
          f = new Family(counter, help(mn));
          families.put(base, f);
        } else if (f.counter != counter) {
          continue; // a gauge and a counter mapping to one name: keep the first kind seen
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, String> t : mn.tags().entrySet()) {
          labels.put(labelName(t.getKey()), t.getValue() == null ? "" : t.getValue());
        }
        f.labelNames.addAll(labels.keySet());
        f.points.add(Map.entry(labels, value));
      }
    }
    List<MetricSnapshot> out = new ArrayList<>(families.size());
    for (Map.Entry<String, Family> fe : families.entrySet()) {
      Family f = fe.getValue();
      String[] names = f.labelNames.toArray(new String[0]);
      Map<Labels, Double> points = new LinkedHashMap<>();
      for (Map.Entry<Map<String, String>, Double> p : f.points) {
        points.putIfAbsent(labels(names, p.getKey()), p.getValue());
      }
      if (f.counter) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(fe.getKey()).help(f.help);
        points.forEach((l, v) -> b.dataPoint(CounterDataPointSnapshot.builder().value(v).labels(l).build()));
        out.add(b.build());
      } else {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(fe.getKey()).help(f.help);
        points.forEach((l, v) -> b.dataPoint(GaugeDataPointSnapshot.builder().value(v).labels(l).build()));
        out.add(b.build());
      }
    }
    return new MetricSnapshots(out);
  }

  private static Labels labels(String[] names, Map<String, String> values) {
    String[] v = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      v[i] = values.getOrDefault(names[i], "");
    }
    return Labels.of(names, v);
  }

  private static String help(MetricName mn) {
    String d = mn.description();
    return (d == null || d.isBlank()) ? "Kafka metric " + mn.group() + "/" + mn.name() : d;
  }

  /** {@code stream-thread-metrics}, {@code process-rate} -> {@code kafka_streams_stream_thread_process_rate}. */
  static String prometheusName(String group, String name) {
    String g = group.endsWith("-metrics") ? group.substring(0, group.length() - "-metrics".length()) : group;
    return sanitize(PREFIX + g + "_" + name);
  }

  /**
   * Kafka spells units in metric names ({@code start-time-ms}, {@code io-wait-time-ns-avg}) and
   * reports latencies ({@code *-latency-avg}, {@code *-time-max}) in milliseconds; Prometheus
   * wants base units: the name gets {@code seconds} and the value is scaled.
   */
  static String baseUnitName(String name) {
    String[] tokens = name.split("-");
    StringBuilder sb = new StringBuilder();
    boolean converted = false;
    for (String t : tokens) {
      if (sb.length() > 0) {
        sb.append('-');
      }
      if (t.equals("ms") || t.equals("ns")) {
        sb.append("seconds");
        converted = true;
      } else {
        sb.append(t);
      }
    }
    if (!converted && isImplicitMillis(name)) {
      sb.append("-seconds");
    }
    return sb.toString();
  }

  /** The factor from the name's unit to seconds (1 when the name has no time unit). */
  static double unitScale(String name) {
    for (String t : name.split("-")) {
      if (t.equals("ms")) {
        return 1e-3;
      }
      if (t.equals("ns")) {
        return 1e-9;
      }
    }
    return isImplicitMillis(name) ? 1e-3 : 1.0;
  }

  private static boolean isImplicitMillis(String name) {
    return name.endsWith("latency-avg") || name.endsWith("latency-max") || name.endsWith("latency-min")
        || name.endsWith("time-avg") || name.endsWith("time-max") || name.endsWith("time-min");
  }

  static String labelName(String tag) {
    String s = sanitize(tag);
    return s.startsWith("__") ? "k" + s : s;
  }

  private static String sanitize(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
      sb.append(ok ? c : '_');
    }
    String r = sb.toString().toLowerCase(Locale.ROOT);
    // reserved suffixes of the Prometheus data model: a gauge must not look like a counter etc.
    for (String suffix : new String[] {"_total", "_created", "_bucket", "_info", "_count", "_sum"}) {
      if (r.endsWith(suffix)) {
        r = r + "_value";
      }
    }
    return r;
  }
}
