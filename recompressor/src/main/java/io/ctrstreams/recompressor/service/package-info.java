/**
 * The streaming recompressor service ({@code ctr recompressor}): consumes full-precision model
 * snapshots from the model-updates topic, keeps the latest full model, a calibration reservoir of
 * impressions and a labeled holdout window in RocksDB, runs the compression pipeline on each new
 * snapshot (and on age / drift triggers), gates the candidate and publishes accepted models to the
 * compacted models topic for hot swap.
 */
package io.ctrstreams.recompressor.service;
