/**
 * Kafka-free quality metrics of CTR predictions, shared by the trainer, the streaming topology and
 * the recompressor's quality gate: exact offline metrics ({@link
 * io.ctrstreams.model.eval.BinaryMetrics}), a bounded-memory bucketed AUC for streams ({@link
 * io.ctrstreams.model.eval.StreamingAuc}) and its event-time sliding window ({@link
 * io.ctrstreams.model.eval.WindowedMetrics}).
 */
package io.ctrstreams.model.eval;
