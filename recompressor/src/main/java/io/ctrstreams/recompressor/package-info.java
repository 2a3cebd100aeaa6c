/**
 * Low-rank recompression of full-precision models: weight SVD and AFM factorizers (ND4J), rank search under a byte budget, distillation and the quality gate.
 */
package io.ctrstreams.recompressor;
