/**
 * Implementation of the model core's scorers and helpers; not a public API (use {@link
 * io.ctrstreams.model.CtrModel#scorer()} and {@link io.ctrstreams.model.CtrModel#referenceScorer()}).
 */
package io.ctrstreams.model.internal;
