/**
 * The quality gate: compares a compressed candidate against the full model on held-out labelled
 * data and rejects it, naming the threshold, when it lost too much.
 */
package io.ctrstreams.recompressor.gate;
