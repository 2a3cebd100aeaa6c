/**
 * Incremental model refresh by compressed deltas with error feedback on the weights ("EF21-P",
 * ../shared/papers.md section 2): the producer keeps {@code w}, exactly what its consumers hold,
 * sends {@code D = Q(C(x - w))} and sets {@code w <- w + D} with the same float operations the
 * consumers use ({@link io.ctrstreams.model.delta.DeltaEncoder}); consumers apply a chain of
 * deltas on a keyframe and verify a hash of {@code w} after each one
 * ({@link io.ctrstreams.model.delta.DeltaApplier}). Free of Kafka: the wire record and the
 * transport live in the serving module.
 */
package io.ctrstreams.model.delta;
