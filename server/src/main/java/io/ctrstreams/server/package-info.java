/**
 * {@code ctr serve}: request/response scoring for an ad server's auction. The Open Inference
 * Protocol ("KServe v2") over REST and gRPC and the CTR-native {@code POST /v1/models/{name}/score}
 * score with the same models, validation and feature encoding as the Kafka Streams topology
 * ({@link io.ctrstreams.topology.ImpressionFeatures}), from a .ctrm file or hot-swapped from the
 * models topic through the shared {@link io.ctrstreams.serving.ModelRegistry}. Implementation
 * (Netty handlers, request codecs, per-thread scratch) lives in {@code internal}.
 */
package io.ctrstreams.server;
