/**
 * End-to-end load benchmarks against the embedded broker: throughput, swap visibility and latency during swaps.
 */
package io.ctrstreams.loadtest;
