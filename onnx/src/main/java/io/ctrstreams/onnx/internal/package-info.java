/** The hand-written protobuf wire encoder and the ONNX graph builder behind the exporter. */
package io.ctrstreams.onnx.internal;
