/**
 * ONNX export of CTR models ({@code ctr export-onnx}): {@link io.ctrstreams.onnx.OnnxExport}
 * writes a {@link io.ctrstreams.model.CtrModel} (every architecture, dense, low-rank or folded) as
 * an ONNX graph in the optimized scorer's layout, so that users who serve with ONNX Runtime,
 * Triton or KServe can take the compressed models there. {@code internal} holds the protobuf wire
 * encoder and the graph builder; no protobuf library is used.
 */
package io.ctrstreams.onnx;
