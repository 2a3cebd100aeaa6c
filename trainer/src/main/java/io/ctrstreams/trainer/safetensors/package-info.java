/**
 * Import of PyTorch weights in the safetensors format (8-byte little-endian header length, JSON
 * header with dtype / shape / data_offsets per tensor, raw little-endian data) into a model of a
 * given {@code ModelSpec}, through a tensor-name mapping.
 */
package io.ctrstreams.trainer.safetensors;
