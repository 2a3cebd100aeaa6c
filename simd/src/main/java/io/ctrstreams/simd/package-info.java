/**
 * Vector API kernels for the model core's optimized scorer ({@link io.ctrstreams.simd.VectorMatMul}),
 * registered as a {@link io.ctrstreams.model.internal.MatMul} service. Used only when the JVM runs
 * with {@code --add-modules jdk.incubator.vector} (the {@code ctr} launcher, the test JVMs and
 * the JMH forks do); otherwise the model core's plain Java kernels serve, with identical results.
 */
package io.ctrstreams.simd;
