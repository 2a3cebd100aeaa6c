package io.ctrstreams.serving;

import io.ctrstreams.model.ModelSpec;
import java.util.Optional;

/**
 * Decides whether a new model may replace the served one without touching the callers: a
 * pluggable predicate of {@link ModelRegistry}.
 */
@FunctionalInterface
public interface CompatibilityCheck {

  /**
   * Why {@code offered} cannot replace {@code served}, or empty when it can.
   *
   * @param served the spec of the model being served
   * @param offered the spec of the new model
   */
  Optional<String> incompatibility(ModelSpec served, ModelSpec offered);

  /**
   * The default: the same input fields in the same order, each with the same role, type and
   * numeric transform (an equal {@link InputSchema}), so feature vectors built for the old model
   * fit the new one. Embedding sizes, ranks, vocabularies and the network may all change.
   */
  CompatibilityCheck SAME_INPUT_FIELDS =
      (served, offered) -> InputSchema.of(served).difference(InputSchema.of(offered));

  /** Accepts every model (tests, or callers that rebuild their inputs per model). */
  CompatibilityCheck ANY = (served, offered) -> Optional.empty();
}
