package io.ctrstreams.model;

import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.model.internal.FastScorer;
import io.ctrstreams.model.internal.ReferenceScorer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A scorable CTR model: a {@link ModelSpec}, its named weight tensors, the vocabularies of its
 * categorical fields, a name, a version and free-form metadata. Immutable and thread-safe.
 *
 * <p>Tensor naming scheme (shapes checked against the spec on construction; see {@link
 * ModelGraph#expectedShapes} and docs/model-format.md):
 *
 * <pre>
 * emb/&lt;field&gt;            [rows, d]   dense embedding (SCALED numeric: rows = 1, e = x * v)
 * emb/&lt;field&gt;/table      [rows, k]   low-rank embedding: e = table[row] proj + bias
 * emb/&lt;field&gt;/proj       [k, d]      (absent when folded into mlp/0)
 * emb/&lt;field&gt;/bias       [d]         (absent when folded into mlp/0)
 * fm/first/&lt;field&gt;       [rows, 1]   DeepFM first-order weights
 * fm/bias                 [1]         DeepFM global bias
 * mlp/&lt;i&gt;/w, mlp/&lt;i&gt;/b    [out, in], [out]          dense hidden layer (then ReLU)
 * mlp/&lt;i&gt;/v, /c, /u, /d   [k, in], [k], [out, k], [out]  low-rank: y = U act(V x + c) + d
 * cross/&lt;i&gt;/w            [D, D]      dense cross layer x0 * (W x + b) + x
 * cross/&lt;i&gt;/v, /c, /u     [r, D], [r], [D, r]  low-rank cross layer
 * cross/&lt;i&gt;/b            [D]
 * out/w, out/b            [1, n], [1] output unit (logit)
 * </pre>
 *
 * <p>Vocabularies are keyed by field name here and stored as string tables {@code vocab/<field>}
 * in a {@link ModelFile}.
 */
public final class CtrModel {
  /** String table prefix of vocabularies in a {@link ModelFile}. */
  public static final String VOCAB_PREFIX = "vocab/";

  private final ModelSpec spec;
  private final String name;
  private final long version;
  private final Map<String, Tensor> tensors;
  private final Map<String, List<String>> vocabularies;
  private final Map<String, String> metadata;
  private final Calibration calibration;
  private final ModelGraph graph;
  private final FeatureEncoder encoder;
  private final Scorer referenceScorer;
  private final FastScorer scorer;

  private CtrModel(ModelSpec spec, String name, long version, Map<String, Tensor> tensors,
      Map<String, List<String>> vocabularies, Map<String, String> metadata, Calibration calibration,
      CtrModel shareFrom) {
    this.calibration = calibration;
    this.spec = spec;
    this.name = name;
    this.version = version;
    this.tensors = tensors;
    this.vocabularies = vocabularies;
    this.metadata = metadata;
    if (shareFrom != null) {
      this.graph = shareFrom.graph;
      this.encoder = shareFrom.encoder;
    } else {
      this.graph = new ModelGraph(spec, tensors);
      this.encoder = new FeatureEncoder(spec, vocabularies);
    }
    this.referenceScorer = new ReferenceScorer(this);
    this.scorer = shareFrom != null ? shareFrom.scorer.forModel(this) : new FastScorer(this);
  }

  /**
   * Builds a model, validating every tensor's presence and shape against the spec and every
   * vocabulary's size.
   *
   * @param tensors tensors by name (keys must equal the tensors' names); exactly the ones the
   *     spec needs
   * @param vocabularies id-ordered values per categorical field with {@code vocabularySize > 0}
   * @param metadata free-form metadata (e.g. {@code compressed-from}); may be null
   */
  public static CtrModel create(ModelSpec spec, String name, long version, Map<String, Tensor> tensors,
      Map<String, List<String>> vocabularies, Map<String, String> metadata) {
    if (spec == null) {
      throw new CtrModelException("model spec must not be null");
    }
    if (name == null || name.isEmpty()) {
      throw new CtrModelException("model name must be non-empty, found " + (name == null ? "null" : "\"\""));
    }
    if (version < 0) {
      throw new CtrModelException("model version of " + name + " must be >= 0, found " + version);
    }
    if (tensors == null) {
      throw new CtrModelException("tensors of model " + name + " must not be null");
    }
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getValue() == null || !e.getValue().name().equals(e.getKey())) {
        throw new CtrModelException("tensor map key " + e.getKey() + " must equal the tensor's name, found "
            + (e.getValue() == null ? "null" : e.getValue().name()));
      }
    }
    ModelGraph.checkTensors(spec, tensors);
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    for (String n : ModelGraph.expectedShapes(spec).keySet()) {
      ordered.put(n, tensors.get(n));
    }
    Map<String, List<String>> vocabs = new LinkedHashMap<>();
    if (vocabularies != null) {
      for (FieldSpec f : spec.fields()) {
        List<String> v = vocabularies.get(f.name());
        if (v != null && !v.isEmpty()) {
          vocabs.put(f.name(), List.copyOf(v));
        }
      }
      for (String f : vocabularies.keySet()) {
        if (!spec.hasField(f)) {
          throw new CtrModelException("vocabulary given for unknown field " + f);
        }
      }
    }
    Map<String, String> meta = new LinkedHashMap<>(metadata == null ? Map.of() : metadata);
    return new CtrModel(spec, name, version, Collections.unmodifiableMap(ordered),
        Collections.unmodifiableMap(vocabs), Collections.unmodifiableMap(meta), Calibration.none(), null);
  }

  /** A model from the content of a {@code .ctrm} file; validates like {@link #create}. */
  public static CtrModel fromFile(ModelFile file) {
    ModelSpec spec = ModelSpec.fromJson(file.specJson());
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (Tensor x : file.tensors()) {
      t.put(x.name(), x);
    }
    Map<String, List<String>> vocabs = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : file.stringTables().entrySet()) {
      if (!e.getKey().startsWith(VOCAB_PREFIX)) {
        throw new CtrModelException("model file " + file.modelName() + " has unknown string table " + e.getKey()
            + " (expected " + VOCAB_PREFIX + "<field>)");
      }
      vocabs.put(e.getKey().substring(VOCAB_PREFIX.length()), e.getValue());
    }
    return create(spec, file.modelName(), file.modelVersion(), t, vocabs, file.metadata())
        .withCalibration(file.calibration());
  }

  /** The content of a {@code .ctrm} file for this model. */
  public ModelFile toFile() {
    Map<String, List<String>> tables = new LinkedHashMap<>();
    vocabularies.forEach((f, v) -> tables.put(VOCAB_PREFIX + f, v));
    return new ModelFile(name, version, spec.toJson(), metadata, new ArrayList<>(tensors.values()), tables,
        calibration);
  }

  /**
   * A model with random weights: He-normal for layers followed by ReLU ({@code std =
   * sqrt(2/in)}), Xavier-style ({@code std = sqrt(1/in)}) for the output unit, linear factors and
   * cross layers, {@code N(0, 0.1)} embeddings, small {@code N(0, 0.01)} biases (non-zero so that
   * tests exercise every bias path). Categorical fields with a vocabulary get values {@code
   * "<field>:<id>"}. For tests, benchmarks and the trainer's initial weights.
   */
  public static CtrModel random(ModelSpec spec, long seed) {
    Random rnd = new Random(seed);
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : ModelGraph.expectedShapes(spec).entrySet()) {
      String n = e.getKey();
      int[] shape = e.getValue();
      Tensor x = Tensor.zeros(n, shape);
      double std = initStd(spec, n, shape);
      float[] d = x.data();
      for (int i = 0; i < d.length; i++) {
        d[i] = (float) (rnd.nextGaussian() * std);
      }
      t.put(n, x);
    }
    Map<String, List<String>> vocabs = new LinkedHashMap<>();
    for (FieldSpec f : spec.fields()) {
      if (f.type() == FieldSpec.Type.CATEGORICAL && f.vocabularySize() > 0) {
        List<String> v = new ArrayList<>(f.vocabularySize());
        for (int i = 0; i < f.vocabularySize(); i++) {
          v.add(f.name() + ":" + i);
        }
        vocabs.put(f.name(), v);
      }
    }
    return create(spec, spec.name(), 0, t, vocabs, Map.of("init", "random seed=" + seed));
  }

  private static double initStd(ModelSpec spec, String n, int[] shape) {
    if (n.startsWith("emb/")) {
      if (n.endsWith("/proj")) {
        return Math.sqrt(1.0 / shape[0]);
      }
      return n.endsWith("/bias") ? 0.01 : 0.1;
    }
    if (n.startsWith("fm/")) {
      return 0.01;
    }
    if (shape.length == 1) {
      return 0.01; // biases b, c, d
    }
    int in = shape[1];
    if (n.startsWith("mlp/") && (n.endsWith("/w") || n.endsWith("/u"))) {
      return Math.sqrt(2.0 / in); // followed by ReLU
    }
    if (n.startsWith("mlp/") && n.endsWith("/v") && spec.isFactorActivation()) {
      return Math.sqrt(2.0 / in);
    }
    return Math.sqrt(1.0 / in);
  }

  /** A copy with another version; shares tensors, layers and encoder. */
  public CtrModel withVersion(long newVersion) {
    if (newVersion < 0) {
      throw new CtrModelException("model version of " + name + " must be >= 0, found " + newVersion);
    }
    return new CtrModel(spec, name, newVersion, tensors, vocabularies, metadata, calibration, this);
  }

  /**
   * A copy with calibration map {@code c} (what {@link Scorer#score} applies to the logit);
   * shares tensors, layers and encoder.
   */
  public CtrModel withCalibration(Calibration c) {
    if (c == null) {
      throw new CtrModelException("calibration of model " + name + " must not be null (use Calibration.none())");
    }
    return new CtrModel(spec, name, version, tensors, vocabularies, metadata, c, this);
  }

  /** The logit-to-pCTR map; {@link Calibration#none()} (plain sigmoid) unless one was fitted. */
  public Calibration calibration() {
    return calibration;
  }

  /** A copy with other metadata; shares tensors, layers and encoder. */
  public CtrModel withMetadata(Map<String, String> newMetadata) {
    Map<String, String> meta = new LinkedHashMap<>(newMetadata == null ? Map.of() : newMetadata);
    return new CtrModel(spec, name, version, tensors, vocabularies, Collections.unmodifiableMap(meta), calibration,
        this);
  }

  public ModelSpec spec() {
    return spec;
  }

  public String name() {
    return name;
  }

  public long version() {
    return version;
  }

  /** Free-form metadata (unmodifiable). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The named tensor.
   *
   * @throws CtrModelException if the model has no such tensor
   */
  public Tensor tensor(String tensorName) {
    Tensor t = tensors.get(tensorName);
    if (t == null) {
      throw new CtrModelException("model " + name + " has no tensor " + tensorName);
    }
    return t;
  }

  /** All tensors in canonical order. Their data is read-only by contract. */
  public Collection<Tensor> tensors() {
    return tensors.values();
  }

  /** Tensors by name, canonical order (unmodifiable). */
  public Map<String, Tensor> tensorMap() {
    return tensors;
  }

  /** The id-ordered vocabulary of a categorical field (empty when it has none). */
  public List<String> vocabulary(String field) {
    spec.fieldOrdinal(field); // throws for unknown fields
    return vocabularies.getOrDefault(field, List.of());
  }

  /** All vocabularies by field name (unmodifiable). */
  public Map<String, List<String>> vocabularies() {
    return vocabularies;
  }

  /** The layers over this model's tensors. */
  public ModelGraph graph() {
    return graph;
  }

  /** The encoder for raw events. */
  public FeatureEncoder encoder() {
    return encoder;
  }

  /** The optimized scorer (thread-safe). */
  public Scorer scorer() {
    return scorer;
  }

  /** The scalar reference scorer (thread-safe). */
  public Scorer referenceScorer() {
    return referenceScorer;
  }

  /** Total weights and biases. */
  public long parameterCount() {
    long n = 0;
    for (Tensor t : tensors.values()) {
      n += t.size();
    }
    return n;
  }

  /** Multiply-adds to score one candidate with the full forward pass (table lookups excluded). */
  public long flopsPerCandidate() {
    return graph.multiplyAdds();
  }

  /**
   * Multiply-adds the optimized scorer executes for one request of {@code candidates} candidates:
   * the context part once ({@code FastScorer.sharedMultiplyAdds}), the rest per candidate. Equal
   * to {@link #flopsPerCandidate} for one candidate; what a share of the FMA peak is taken of.
   */
  public long multiplyAddsPerRequest(int candidates) {
    if (candidates < 1) {
      throw new IllegalArgumentException("candidates must be >= 1, got " + candidates);
    }
    long full = flopsPerCandidate();
    long shared = scorer.sharedMultiplyAdds();
    return shared + candidates * (full - shared);
  }

  /**
   * Heap bytes held: tensors, vocabularies (strings and the encoder's index), and the optimized
   * scorer's precomputed weight layouts.
   */
  public long ramBytesUsed() {
    long b = 64;
    for (Tensor t : tensors.values()) {
      b += t.ramBytesUsed();
    }
    for (List<String> v : vocabularies.values()) {
      for (String s : v) {
        b += 40 + 2L * s.length() + 8;
      }
      // encoder index: long + int + reference per slot, about 4 slots per 2 values
      b += 2L * v.size() * (8 + 4 + 8);
    }
    return b + scorer.ramBytesUsed();
  }

  @Override
  public String toString() {
    return "CtrModel[" + name + " v" + version + " " + spec + " params=" + parameterCount() + "]";
  }
}
