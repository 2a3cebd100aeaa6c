/**
 * CTR model core: {@code ModelSpec}, dense and low-rank layers, feature encoding, scorer kernels and the versioned {@code .ctrm} binary format. Free of Kafka, ND4J and HTTP.
 */
package io.ctrstreams.model;
