/**
 * Raw CTR data: streaming readers for Criteo TSV and Avazu CSV, the synthetic impression/click
 * stream with its hidden teacher, and the vocabulary statistics built on a training split.
 *
 * <p>Everything here yields {@link io.ctrstreams.trainer.data.RawRecord}s: one reusable,
 * schema-ordered holder of raw strings and numbers. Encoding into model rows is the model core's
 * {@code FeatureEncoder}, so training and serving share one code path.
 */
package io.ctrstreams.trainer.data;
