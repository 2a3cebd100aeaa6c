/**
 * The fault suite ({@code ctr chaos}, issue 13): a real broker and real {@code ctr topology}
 * services in separate child JVMs, so that {@code kill -9} is real, under faults (kills and
 * restarts, failover, poison pills, a corrupt model), with every output counted by a
 * {@code read_committed} consumer: lost, duplicated, crashed and time to recover per case.
 * Entry point: {@link io.ctrstreams.loadtest.chaos.FaultSuite#run}.
 */
package io.ctrstreams.loadtest.chaos;
