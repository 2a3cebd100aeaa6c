/**
 * The quality gate: compares a compressed candidate against the full model on held-out labelled
 * data (or, before enough labels exist, on fidelity over calibration rows) and rejects it, naming
 * the threshold, when it lost too much.
 */
package io.ctrstreams.recompressor.gate;
