/**
 * Rank search under a byte budget, after the genetic architecture search of "Compressing
 * Pre-trained Models of Code into 3 MB" (ASE 2022) with the changes its re-runs call for
 * (tournament selection, +-1-step mutation, hard budget with repair), plus the two baselines it
 * must beat in the same run: uniform ranks and an exact knapsack DP over per-layer sensitivity
 * tables. Works on an abstract table of {@link io.ctrstreams.recompressor.search.LayerChoice}s and
 * a {@link io.ctrstreams.recompressor.search.Fitness} function, so it is testable without a model.
 */
package io.ctrstreams.recompressor.search;
