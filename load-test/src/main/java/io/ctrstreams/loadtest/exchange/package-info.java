/** Scaling of data-parallel training over Kafka with the number of worker processes (issue 15). */
package io.ctrstreams.loadtest.exchange;
