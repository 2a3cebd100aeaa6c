/**
 * Implementation of the scoring topology: processors and routing types. Not a public API; the
 * public entry points are {@link io.ctrstreams.topology.ScoringTopology} and
 * {@link io.ctrstreams.topology.TopologyConfig}.
 */
package io.ctrstreams.topology.internal;
