package io.ctrstreams.model;

/**
 * A value of the wrong type for its field in a typed event ({@link FeatureEncoder#encodeTyped}):
 * a string where the model's field is numeric. Events on the wire carry numbers as numbers, so
 * such a value is the producer's mistake, not a number to parse; callers report it as invalid
 * input (the topology dead-letters it as {@code wrong_type}) rather than as a scoring failure.
 */
public class FeatureTypeException extends CtrModelException {
  private final String field;

  public FeatureTypeException(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The model field the value was given for. */
  public String field() {
    return field;
  }
}
