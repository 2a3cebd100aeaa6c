/**
 * JMH benchmarks of the scorer kernels (dense vs low-rank, reference vs optimized) against a measured FMA peak.
 */
package io.ctrstreams.bench;
