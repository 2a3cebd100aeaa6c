/**
 * Low-rank recompression of full-precision CTR models (Unified Low-rank Compression Framework,
 * KDD 2024; rank search and distillation after "Compressing Pre-trained Models of Code into 3 MB",
 * ASE 2022).
 *
 * <ul>
 *   <li>Factorizers: {@link io.ctrstreams.recompressor.Afm} (output PCA),
 *       {@link io.ctrstreams.recompressor.WeightSvd}, {@link io.ctrstreams.recompressor.EmbeddingCompression}
 *       over {@link io.ctrstreams.recompressor.OutputStatistics} and the
 *       {@link io.ctrstreams.recompressor.Linalg} backends (plain Java reference, ND4J).
 *   <li>Pipeline: {@link io.ctrstreams.recompressor.Compressor} (in-order, per-layer reports),
 *       {@link io.ctrstreams.recompressor.CompressionSearch} (ranks under a byte budget, see the
 *       {@code search} package), {@link io.ctrstreams.recompressor.Distiller}, and the quality gate
 *       in the {@code gate} package.
 * </ul>
 */
package io.ctrstreams.recompressor;
