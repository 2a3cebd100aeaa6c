/**
 * End-to-end load benchmarks against the embedded broker (issue 5 §11): throughput of the real
 * scoring topology with the dense and the compressed Criteo DNN against a pass-through baseline,
 * hot-swap visibility and latency during swaps, all in one process and one run so the figures are
 * quoted as ratios. Entry points: {@link io.ctrstreams.loadtest.LoadTest#run} (library),
 * {@link io.ctrstreams.loadtest.LoadTestMain} (plain main) and {@code ctr load-test}.
 */
package io.ctrstreams.loadtest;
