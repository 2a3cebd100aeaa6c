/**
 * A real single-node KRaft Kafka broker started in process, for {@code ctr broker}, {@code ctr demo} and integration tests.
 */
package io.ctrstreams.broker;
