/**
 * {@code ctr demo}: the whole loop in one process on the embedded broker — synthetic traffic,
 * continuous trainer, recompressor, scoring topology with the compressed model live and the full
 * model as shadow, the metrics endpoint, and a one-line status every few seconds.
 */
package io.ctrstreams.cli.demo;
