/**
 * Training internals: batch GEMM kernels on {@code float[]}, the parameter store, one
 * forward/backward replica of a model graph per worker thread, optimizers.
 */
package io.ctrstreams.trainer.internal;
