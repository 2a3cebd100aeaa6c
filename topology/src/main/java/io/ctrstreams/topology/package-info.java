/**
 * The Kafka Streams scoring topology: scores impressions with the live model, joins clicks into labels, tracks online metrics, routes bad input to the DLQ.
 */
package io.ctrstreams.topology;
