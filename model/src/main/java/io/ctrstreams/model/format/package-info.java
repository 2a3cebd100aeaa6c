/**
 * The versioned, checksummed {@code .ctrm} binary model format. {@link
 * io.ctrstreams.model.format.ModelFile} is the content (name, version, spec JSON, metadata,
 * string tables, tensors); {@link io.ctrstreams.model.format.CtrmFormat} reads and writes it
 * (layout documented there and in {@code docs/ctrm-format.md}); {@link
 * io.ctrstreams.model.format.WriteOptions} chooses a {@link
 * io.ctrstreams.model.format.TensorDtype} per tensor and {@link
 * io.ctrstreams.model.format.ReadOptions} caps what a reader accepts. Decoding errors are
 * {@link io.ctrstreams.model.format.ModelFormatException}s: truncated, corrupt or unsupported
 * version. The package is free of JSON libraries: the spec is an opaque string here.
 */
package io.ctrstreams.model.format;
