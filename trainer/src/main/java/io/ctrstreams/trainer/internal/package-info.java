/**
 * Training internals: the parameter store, one forward/backward replica of a model graph per
 * worker thread (its products on the one {@link io.ctrstreams.model.internal.MatMul}), optimizers.
 */
package io.ctrstreams.trainer.internal;
