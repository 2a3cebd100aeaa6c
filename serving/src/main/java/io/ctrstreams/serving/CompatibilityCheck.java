package io.ctrstreams.serving;

import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import java.util.List;
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
   * numeric transform, so feature vectors built for the old model fit the new one. Embedding
   * sizes, ranks, vocabularies and the network may all change.
   */
  CompatibilityCheck SAME_INPUT_FIELDS = (served, offered) -> {
    List<FieldSpec> a = served.fields();
    List<FieldSpec> b = offered.fields();
    if (a.size() != b.size()) {
      return Optional.of("served model has " + a.size() + " input fields, the new one " + b.size());
    }
    for (int i = 0; i < a.size(); i++) {
      FieldSpec x = a.get(i);
      FieldSpec y = b.get(i);
      if (!x.name().equals(y.name())) {
        return Optional.of("input field " + i + " is " + x.name() + " in the served model, "
            + y.name() + " in the new one");
      }
      if (x.role() != y.role() || x.type() != y.type() || x.transform() != y.transform()) {
        return Optional.of("input field " + x.name() + " is " + describe(x)
            + " in the served model, " + describe(y) + " in the new one");
      }
    }
    return Optional.empty();
  };

  /** Accepts every model (tests, or callers that rebuild their inputs per model). */
  CompatibilityCheck ANY = (served, offered) -> Optional.empty();

  private static String describe(FieldSpec f) {
    return f.role() + "/" + f.type() + (f.transform() == null ? "" : "/" + f.transform());
  }
}
