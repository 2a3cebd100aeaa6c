/**
 * Implementation details of the recompressor: the plain-Java and ND4J linear algebra backends
 * and other helpers that are not part of the public API.
 */
package io.ctrstreams.recompressor.internal;
