/**
 * Avro schemas (impression, click, score, labeled example, model chunk and manifest) and JSON/Avro codecs for the wire.
 */
package io.ctrstreams.schemas;
