/**
 * The model registry shared by every scorer: chunked model transport over a compacted topic,
 * verification and lock-free hot swap.
 *
 * <ul>
 *   <li>{@link io.ctrstreams.serving.ModelPublisher} writes a .ctrm file as chunks plus a manifest
 *       (key scheme in {@link io.ctrstreams.serving.ModelKeys}, Avro values in
 *       {@link io.ctrstreams.serving.ModelRecords}) and tombstones retired versions.
 *   <li>{@link io.ctrstreams.serving.ModelChunkAssembler} rebuilds and verifies files from the
 *       topic's records (no Kafka types: a Streams global processor or a plain consumer feeds it).
 *   <li>{@link io.ctrstreams.serving.ModelRegistry} decodes, checks and swaps the served model;
 *       stream threads read {@link io.ctrstreams.serving.ModelRegistry#current()}.
 *   <li>{@link io.ctrstreams.serving.ModelFeed} ties the assembler to the registries by name;
 *       {@link io.ctrstreams.serving.ModelTopicFollower} feeds it from a plain consumer.
 * </ul>
 */
package io.ctrstreams.serving;
