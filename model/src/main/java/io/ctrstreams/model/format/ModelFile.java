package io.ctrstreams.model.format;

import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The content of one {@code .ctrm} file, independent of how it is encoded: model name and
 * version, the {@code ModelSpec} as JSON, free-form metadata (e.g. {@code compressed-from}),
 * named tensors in file order, and named string tables (vocabularies, key {@code vocab/<field>}).
 *
 * <p>The model core turns this into a scorable model ({@code CtrModel.fromFile}); the format
 * package ({@link CtrmFormat}) reads and writes it.
 *
 * @param modelName non-empty model name
 * @param modelVersion version number, {@code >= 0}
 * @param specJson the model spec as JSON
 * @param metadata string metadata, insertion-ordered
 * @param tensors tensors with unique names, in file order
 * @param stringTables named lists of strings, insertion-ordered
 */
public record ModelFile(
    String modelName,
    long modelVersion,
    String specJson,
    Map<String, String> metadata,
    List<Tensor> tensors,
    Map<String, List<String>> stringTables) {

  /** Validates and makes defensive, unmodifiable copies. */
  public ModelFile {
    if (modelName == null || modelName.isEmpty()) {
      throw new CtrModelException("model name must be non-empty, found " + (modelName == null ? "null" : "\"\""));
    }
    if (modelVersion < 0) {
      throw new CtrModelException("model version of " + modelName + " must be >= 0, found " + modelVersion);
    }
    if (specJson == null || specJson.isEmpty()) {
      throw new CtrModelException("spec JSON of model " + modelName + " must be non-empty");
    }
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata == null ? Map.of() : metadata));
    tensors = List.copyOf(tensors == null ? List.of() : tensors);
    Set<String> names = new HashSet<>();
    for (Tensor t : tensors) {
      if (!names.add(t.name())) {
        throw new CtrModelException("duplicate tensor name " + t.name() + " in model " + modelName);
      }
    }
    Map<String, List<String>> tables = new LinkedHashMap<>();
    if (stringTables != null) {
      stringTables.forEach((k, v) -> tables.put(k, List.copyOf(v)));
    }
    stringTables = Collections.unmodifiableMap(tables);
  }

  /** The tensor with this name, or {@code null}. */
  public Tensor tensor(String name) {
    for (Tensor t : tensors) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }
}
