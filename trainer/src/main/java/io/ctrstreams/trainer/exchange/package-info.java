/**
 * Data-parallel training with compressed gradient exchange (issue 15): each worker sends a
 * compressed message per round, every replica sums the messages in slot order and applies the
 * same estimate, so all replicas hold bit-identical weights. The algorithms (EControl, classic
 * error feedback, EF21, compression without feedback, uncompressed) share one interface, {@link
 * io.ctrstreams.trainer.exchange.ExchangeWorker} plus {@link
 * io.ctrstreams.trainer.exchange.ExchangeAggregator}; see {@link
 * io.ctrstreams.trainer.exchange.ExchangeAlgorithm} for the equations.
 */
package io.ctrstreams.trainer.exchange;
