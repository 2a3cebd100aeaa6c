package io.ctrstreams.topology;

import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code ctr_build_info{service, version, java_version} 1}: which build and JVM a process runs,
 * for dashboards and alerts that join on it (the Prometheus {@code *_build_info} convention).
 */
public final class BuildInfo {
  private BuildInfo() {}

  /** The version in the jar manifest ({@code Implementation-Version}), or "unknown" outside a jar. */
  public static String version() {
    String v = BuildInfo.class.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }

  /** Registers the info metric of {@code service} (topology, trainer, recompressor) in {@code registry}. */
  public static void register(PrometheusRegistry registry, String service) {
    Info info = Info.builder().name("ctr_build_info")
        .help("Build of this ctr-streams process: service, version (jar manifest) and Java version.")
        .labelNames("service", "version", "java_version").register(registry);
    info.setLabelValues(service, version(), System.getProperty("java.version", "unknown"));
  }
}
