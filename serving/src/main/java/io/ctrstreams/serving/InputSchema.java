package io.ctrstreams.serving;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a model reads from an impression: its input fields in order, each with its role, type and
 * numeric transform. Two models with equal schemas take the same feature vectors, so one may
 * replace the other ({@link CompatibilityCheck#SAME_INPUT_FIELDS}); embedding sizes, vocabularies,
 * ranks and the network may differ.
 *
 * <p>{@link ModelPublisher} writes each version's schema into its manifest's metadata under
 * {@link #METADATA_KEY} (as {@link #toJson()}), so it can compare a new version with the live
 * one, and keep the newest version of each schema, without decoding the published models.
 *
 * @param fields the input fields in spec order
 */
public record InputSchema(List<Field> fields) {

  /** Manifest metadata key of a version's schema ({@link #toJson()}). */
  public static final String METADATA_KEY = "ctr.input-schema";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One input field.
   *
   * @param name field name
   * @param role CONTEXT or CANDIDATE
   * @param type CATEGORICAL or NUMERIC
   * @param transform LOG_BUCKET or SCALED for a numeric field, null for a categorical one
   */
  public record Field(String name, String role, String type, String transform) {
    /** Requires name, role and type. */
    public Field {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(type, "type");
    }

    @Override
    public String toString() {
      return name + " (" + role + "/" + type + (transform == null ? "" : "/" + transform) + ")";
    }
  }

  /** Copies {@code fields}. */
  public InputSchema {
    fields = List.copyOf(fields);
  }

  /** The schema of {@code spec}. */
  public static InputSchema of(ModelSpec spec) {
    List<Field> fields = new ArrayList<>(spec.fieldCount());
    for (FieldSpec f : spec.fields()) {
      fields.add(new Field(f.name(), f.role().name(), f.type().name(),
          f.transform() == null ? null : f.transform().name()));
    }
    return new InputSchema(fields);
  }

  /** Parses {@link #toJson()}; empty when {@code json} is null or not a schema. */
  public static Optional<InputSchema> parse(String json) {
    if (json == null) {
      return Optional.empty();
    }
    try {
      List<Field> fields = JSON.readValue(json, new TypeReference<List<Field>>() {});
      return fields == null || fields.contains(null) ? Optional.empty() : Optional.of(new InputSchema(fields));
    } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }

  /** A JSON array of the fields (the manifest metadata value). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write input schema as JSON", e);
    }
  }

  /**
   * Why a model with schema {@code offered} cannot replace one with this schema (the first
   * difference, naming the field), or empty when the schemas are equal.
   */
  public Optional<String> difference(InputSchema offered) {
    List<Field> a = fields;
    List<Field> b = offered.fields;
    if (a.size() != b.size()) {
      return Optional.of("served model has " + a.size() + " input fields, the new one " + b.size());
    }
    for (int i = 0; i < a.size(); i++) {
      Field x = a.get(i);
      Field y = b.get(i);
      if (!x.name().equals(y.name())) {
        return Optional.of("input field " + i + " is " + x.name() + " in the served model, " + y.name()
            + " in the new one");
      }
      if (!x.equals(y)) {
        return Optional.of("input field " + x + " in the served model is " + y + " in the new one");
      }
    }
    return Optional.empty();
  }
}
