/**
 * CTR model core, free of Kafka, ND4J and HTTP.
 *
 * <p>Entry points: {@link io.ctrstreams.model.ModelSpec} (architecture as JSON), {@link
 * io.ctrstreams.model.CtrModel} (spec + named tensors + vocabularies; {@code create}, {@code
 * fromFile}, {@code random}), {@link io.ctrstreams.model.FeatureEncoder} (raw events to {@link
 * io.ctrstreams.model.FeatureVector}s) and {@link io.ctrstreams.model.Scorer} ({@code
 * CtrModel.scorer()} optimized, {@code CtrModel.referenceScorer()} scalar). The layers ({@link
 * io.ctrstreams.model.Linear}, {@link io.ctrstreams.model.LowRankLinear}, {@link
 * io.ctrstreams.model.Embedding}, {@link io.ctrstreams.model.LowRankEmbedding}, {@link
 * io.ctrstreams.model.CrossLayer}) are reusable by trainers and the recompressor through {@link
 * io.ctrstreams.model.ModelGraph}. Tensor names and shapes: {@link io.ctrstreams.model.CtrModel}
 * and docs/model-format.md.
 */
package io.ctrstreams.model;
