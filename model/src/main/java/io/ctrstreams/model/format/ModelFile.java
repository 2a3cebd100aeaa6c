package io.ctrstreams.model.format;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import java.util.Arrays;
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
 * @param calibration the logit-to-pCTR map (format version 2; {@link Calibration#none()} for
 *     version 1 files)
 */
public record ModelFile(
    String modelName,
    long modelVersion,
    String specJson,
    Map<String, String> metadata,
    List<Tensor> tensors,
    Map<String, List<String>> stringTables,
    Calibration calibration) {

  /** Without a calibration map ({@link Calibration#none()}). */
  public ModelFile(String modelName, long modelVersion, String specJson, Map<String, String> metadata,
      List<Tensor> tensors, Map<String, List<String>> stringTables) {
    this(modelName, modelVersion, specJson, metadata, tensors, stringTables, Calibration.none());
  }

  /** This file with calibration map {@code c}. */
  public ModelFile withCalibration(Calibration c) {
    return new ModelFile(modelName, modelVersion, specJson, metadata, tensors, stringTables, c);
  }

  /** Validates and makes defensive, unmodifiable copies. */
  public ModelFile {
    if (calibration == null) {
      calibration = Calibration.none();
    }
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

  /**
   * Whether {@code other} has the same content: name, version, spec, metadata, calibration and string tables
   * equal (in the same order), and tensors with the same names, shapes and bit-identical values
   * in the same order. ({@link #equals} compares tensors by identity, as {@link Tensor} does.)
   */
  public boolean contentEquals(ModelFile other) {
    if (other == null
        || !modelName.equals(other.modelName)
        || modelVersion != other.modelVersion
        || !specJson.equals(other.specJson)
        || !List.copyOf(metadata.entrySet()).equals(List.copyOf(other.metadata.entrySet()))
        || !List.copyOf(stringTables.entrySet()).equals(List.copyOf(other.stringTables.entrySet()))
        || !calibration.equals(other.calibration)
        || tensors.size() != other.tensors.size()) {
      return false;
    }
    for (int i = 0; i < tensors.size(); i++) {
      Tensor a = tensors.get(i);
      Tensor b = other.tensors.get(i);
      if (!a.name().equals(b.name()) || !Arrays.equals(a.shape(), b.shape())) {
        return false;
      }
      float[] x = a.data();
      float[] y = b.data();
      for (int j = 0; j < x.length; j++) {
        if (Float.floatToRawIntBits(x[j]) != Float.floatToRawIntBits(y[j])) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Lower-case hex SHA-256 of the canonical encoding (current format version, every tensor
   * FLOAT32): two files with {@link #contentEquals equal content} have the same digest.
   */
  public String sha256Hex() {
    return CtrmFormat.sha256Hex(CtrmFormat.toBytes(this));
  }

  /** Heap bytes held by the tensors and strings, for {@code ramBytesUsed()} accounting. */
  public long ramBytesUsed() {
    long n = 64 + 2L * (modelName.length() + specJson.length());
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      n += 80 + 2L * (chars(e.getKey()) + chars(e.getValue()));
    }
    for (Map.Entry<String, List<String>> e : stringTables.entrySet()) {
      n += 80 + 2L * chars(e.getKey());
      for (String s : e.getValue()) {
        n += 48 + 2L * s.length();
      }
    }
    for (Tensor t : tensors) {
      n += t.ramBytesUsed();
    }
    return n;
  }

  private static int chars(String s) {
    return s == null ? 0 : s.length();
  }
}
