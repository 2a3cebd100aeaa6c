/**
 * The versioned, checksummed {@code .ctrm} binary model format: {@link
 * io.ctrstreams.model.format.ModelFile} is the content, {@code CtrmFormat} reads and writes it.
 */
package io.ctrstreams.model.format;
