/**
 * The continuous trainer service ({@code ctr trainer}): trains online on the labeled topic or the
 * synthetic stream and publishes full-precision snapshots to the model-updates topic every N
 * seconds or examples, for the recompressor to compress.
 */
package io.ctrstreams.trainer.online;
