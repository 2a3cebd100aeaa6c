package io.ctrstreams.server;

import io.ctrstreams.topology.ModelMetrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The server's Prometheus metrics. Where a metric means what the topology's does it has the
 * topology's name and buckets ({@code ctr_scoring_latency_seconds}, {@code
 * ctr_candidates_scored_total}, {@code ctr_impressions_scored_total}, {@code
 * ctr_shadow_abs_logit_diff_total}) plus a {@code protocol} label ({@code rest}, {@code oip-rest},
 * {@code grpc}), so one dashboard query covers both ways of scoring. Per endpoint: request latency
 * histogram and request count by status code; rejected requests by the DLQ's reasons.
 *
 * <p>Hot-path data points are resolved once per (protocol) or cached per (endpoint, code).
 */
public final class ServerMetrics {
  /** Protocols, the values of the {@code protocol} label. */
  public static final List<String> PROTOCOLS = List.of(Protocol.REST, Protocol.OIP_REST, Protocol.GRPC);

  /** Label values of {@code protocol}. */
  public static final class Protocol {
    /** The CTR-native JSON endpoint {@code /v1/models/{name}/score}. */
    public static final String REST = "rest";
    /** The Open Inference Protocol over REST. */
    public static final String OIP_REST = "oip-rest";
    /** The Open Inference Protocol over gRPC. */
    public static final String GRPC = "grpc";

    private Protocol() {}
  }

  private final PrometheusRegistry registry;
  private final Counter impressions;
  private final Counter candidates;
  private final Histogram scoringLatency;
  private final Counter shadowAbsLogitDiff;
  private final Histogram requestLatency;
  private final Counter requests;
  private final Counter rejected;
  private final ConcurrentMap<String, CounterDataPoint> requestsByKey = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, DistributionDataPoint> latencyByEndpoint = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, CounterDataPoint> rejectedByKey = new ConcurrentHashMap<>();

  /** Registers every metric in {@code registry}. */
  public ServerMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    impressions = Counter.builder().name("ctr_impressions_scored_total")
        .help("Impressions (requests) scored with the live model, by protocol.").labelNames("protocol")
        .register(registry);
    candidates = Counter.builder().name("ctr_candidates_scored_total")
        .help("Candidate ads scored, by variant (live, shadow) and protocol.").labelNames("variant", "protocol")
        .register(registry);
    scoringLatency = Histogram.builder().name("ctr_scoring_latency_seconds").unit(Unit.SECONDS)
        .help("Time to encode and score all candidates of one request with the live model, by protocol.")
        .labelNames("protocol")
        .classicOnly()
        .classicUpperBounds(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 1)
        .register(registry);
    shadowAbsLogitDiff = Counter.builder().name("ctr_shadow_abs_logit_diff_total")
        .help("Sum of |live logit - shadow logit| over shadow-scored candidates, by protocol; divide by"
            + " ctr_candidates_scored_total{variant=\"shadow\"} for the online fidelity.")
        .labelNames("protocol")
        .register(registry);
    requestLatency = Histogram.builder().name("ctr_server_request_duration_seconds").unit(Unit.SECONDS)
        .help("Time from a complete request to its response being written, by endpoint (route template or gRPC method).")
        .labelNames("endpoint")
        .classicOnly()
        .classicUpperBounds(0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 1)
        .register(registry);
    requests = Counter.builder().name("ctr_server_requests_total")
        .help("Requests answered, by endpoint and status code (HTTP status, or gRPC status name).")
        .labelNames("endpoint", "code")
        .register(registry);
    rejected = Counter.builder().name("ctr_server_requests_rejected_total")
        .help("Scoring requests rejected as invalid, by protocol and reason (the dead-letter reasons of the topology, plus the request-shape reasons of the Open Inference Protocol).")
        .labelNames("protocol", "reason")
        .register(registry);
    for (String p : PROTOCOLS) {
      impressions.labelValues(p);
      candidates.labelValues("live", p);
      candidates.labelValues("shadow", p);
      scoringLatency.labelValues(p);
      shadowAbsLogitDiff.labelValues(p);
    }
  }

  /**
   * A new registry with the JVM metrics, the served models' gauges (the topology's {@code
   * ctr_model_*}, {@link ModelMetrics}) and these metrics.
   */
  public static ServerMetrics standard(ServedModels models) {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    registry.register(new ModelMetrics(models.live(), models.shadow(), System::currentTimeMillis));
    return new ServerMetrics(registry);
  }

  /** The registry these metrics live in. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** One request's candidates scored by the live model in {@code nanos}. */
  public void scored(String protocol, int n, long nanos) {
    impressions.labelValues(protocol).inc();
    candidates.labelValues("live", protocol).inc(n);
    scoringLatency.labelValues(protocol).observe(nanos / 1e9);
  }

  /** Shadow scores for one request; {@code sumAbsLogitDiff} over its candidates. */
  public void shadowScored(String protocol, int n, double sumAbsLogitDiff) {
    candidates.labelValues("shadow", protocol).inc(n);
    shadowAbsLogitDiff.labelValues(protocol).inc(sumAbsLogitDiff);
  }

  /** One request answered with {@code code} after {@code nanos}. */
  public void request(String endpoint, String code, long nanos) {
    latencyByEndpoint.computeIfAbsent(endpoint, e -> requestLatency.labelValues(e)).observe(nanos / 1e9);
    requestsByKey.computeIfAbsent(endpoint + '\u0000' + code, k -> requests.labelValues(endpoint, code)).inc();
  }

  /** One scoring request rejected for {@code reason}. */
  public void rejected(String protocol, String reason) {
    rejectedByKey.computeIfAbsent(protocol + '\u0000' + reason, k -> rejected.labelValues(protocol, reason)).inc();
  }
}
