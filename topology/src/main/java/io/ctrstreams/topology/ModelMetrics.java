package io.ctrstreams.topology;

import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.RejectReason;
import io.ctrstreams.serving.ServedDeltaFollower;
import io.ctrstreams.serving.ServedModel;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;

/**
 * Exports the served models' state at scrape time, straight from the registries (no copies to
 * keep in sync): {@code ctr_model_version}, {@code ctr_model_age_seconds} (since the manifest's
 * publication, else since load), {@code ctr_model_bytes} (.ctrm size),
 * {@code ctr_model_ram_bytes}, {@code ctr_model_compression_ratio} (when the publisher recorded
 * one), {@code ctr_model_swaps_total} and {@code ctr_model_swaps_rejected_total} by reason
 * (every reason, zeros included, so rate() works from the first rejection). Label {@code role}
 * is live or shadow. Delta refresh (docs/model-deltas.md): {@code ctr_model_delta_sequence} (of the
 * served version), {@code ctr_model_delta_lag_seconds} (since the served delta was made), {@code
 * ctr_model_deltas_total} by outcome (applied, duplicate, old_base, gap, unknown_base,
 * hash_mismatch, malformed) and {@code ctr_model_delta_resyncs_total}.
 *
 * @param live the live model's registry
 * @param shadow the shadow model's registry, or null
 * @param clockMs wall clock of the age gauge
 * @param deltas the live model's delta follower, or null
 */
public record ModelMetrics(ModelRegistry live, ModelRegistry shadow, LongSupplier clockMs, ServedDeltaFollower deltas)
    implements MultiCollector {

  /** Without delta refresh. */
  public ModelMetrics(ModelRegistry live, ModelRegistry shadow, LongSupplier clockMs) {
    this(live, shadow, clockMs, null);
  }

  @Override
  public MetricSnapshots collect() {
    GaugeSnapshot.Builder version = GaugeSnapshot.builder().name("ctr_model_version").help("Version of the served model (absent until one is loaded).");
    GaugeSnapshot.Builder age = GaugeSnapshot.builder().name("ctr_model_age_seconds").help("Seconds since the served model was published (manifest time), or loaded when unknown.");
    GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("ctr_model_bytes").help("Size of the served model's .ctrm file in bytes.");
    GaugeSnapshot.Builder ram = GaugeSnapshot.builder().name("ctr_model_ram_bytes").help("Heap bytes held by the served model.");
    GaugeSnapshot.Builder ratio = GaugeSnapshot.builder().name("ctr_model_compression_ratio").help("Parameter-count ratio full / compressed recorded by the publisher.");
    CounterSnapshot.Builder swaps = CounterSnapshot.builder().name("ctr_model_swaps").help("Model swaps (a new version or a pin/unpin became served).");
    CounterSnapshot.Builder rejects = CounterSnapshot.builder().name("ctr_model_swaps_rejected").help("Model versions or records rejected, by reason; the previous model kept serving.");
    GaugeSnapshot.Builder deltaSeq = GaugeSnapshot.builder().name("ctr_model_delta_sequence")
        .help("Sequence of the last compressed delta applied to the served version (0 = as published).");
    GaugeSnapshot.Builder deltaLag = GaugeSnapshot.builder().name("ctr_model_delta_lag_seconds")
        .help("Seconds since the served model's last applied delta was made (absent before the first delta).");
    CounterSnapshot.Builder deltaOutcomes = CounterSnapshot.builder().name("ctr_model_deltas")
        .help("Deltas offered to the served model, by outcome; every outcome but applied left the last good weights serving.");
    CounterSnapshot.Builder resyncs = CounterSnapshot.builder().name("ctr_model_delta_resyncs")
        .help("Times the delta follower re-read a broken chain from its start.");
    long now = clockMs.getAsLong();
    for (ModelRegistry r : shadow == null ? List.of(live) : List.of(live, shadow)) {
      String role = r == live ? "live" : "shadow";
      Labels l = Labels.of("model", r.name(), "role", role);
      ServedModel m = r.current();
      if (m != null) {
        version.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(m.version()).build());
        long since = m.manifest() != null ? m.manifest().getCreatedAtEpochMs() : m.loadedAt().toEpochMilli();
        age.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(Math.max(0, now - since) / 1e3).build());
        bytes.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(m.sizeBytes()).build());
        ram.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(m.ramBytesUsed()).build());
        OptionalDouble cr = m.compressionRatio();
        if (cr.isPresent()) {
          ratio.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(cr.getAsDouble()).build());
        }
      }
      swaps.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(r.swapCount()).build());
      if (m != null) {
        deltaSeq.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(m.deltaSequence()).build());
        if (m.deltaSequence() > 0) {
          deltaLag.dataPoint(GaugeDataPointSnapshot.builder().labels(l)
              .value(Math.max(0, now - m.deltaCreatedAtMs()) / 1e3).build());
        }
      }
      if (r == live && deltas != null) {
        for (DeltaApplier.Outcome o : DeltaApplier.Outcome.values()) {
          deltaOutcomes.dataPoint(CounterDataPointSnapshot.builder()
              .labels(l.add("outcome", o.name().toLowerCase(Locale.ROOT))).value(deltas.count(o)).build());
        }
        resyncs.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(deltas.resyncs()).build());
      }
      for (RejectReason reason : RejectReason.values()) {
        rejects.dataPoint(CounterDataPointSnapshot.builder()
            .labels(l.add("reason", reason.name().toLowerCase(Locale.ROOT)))
            .value(r.rejectCount(reason)).build());
      }
    }
    return new MetricSnapshots(version.build(), age.build(), bytes.build(), ram.build(), ratio.build(),
        swaps.build(), rejects.build(), deltaSeq.build(), deltaLag.build(), deltaOutcomes.build(), resyncs.build());
  }
}
