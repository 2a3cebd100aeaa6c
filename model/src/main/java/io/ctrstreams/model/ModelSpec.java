package io.ctrstreams.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The architecture of a CTR model: fields, network family, layer sizes and where it is low-rank.
 * Immutable; validated on construction ({@link #fromJson}, {@link #builder()}, constructor).
 *
 * <p>Forward pass (what every scorer computes), with {@code x0 = concat_f e_f} in field order:
 *
 * <ul>
 *   <li>{@link Architecture#DNN}: {@code logit = out(mlp(x0))}.
 *   <li>{@link Architecture#DEEPFM}: {@code logit = fm/bias + sum_f first_f + 0.5 * sum_j ((sum_f
 *       e_fj)^2 - sum_f e_fj^2) + out(mlp(x0))}.
 *   <li>{@link Architecture#DCNV2}: cross layers {@code x_{l+1} = x0 * (W_l x_l + b_l) + x_l};
 *       STACKED: {@code out(mlp(cross(x0)))}; PARALLEL: {@code out([cross(x0), mlp(x0)])}.
 * </ul>
 *
 * <p>Hidden MLP layers are followed by ReLU; {@code out} is one linear unit (the logit); pCTR is
 * {@code sigmoid(logit)}. With no hidden layers, {@code out} reads its input directly. With
 * folded embeddings ({@link LowRankConfig#foldEmbeddings()}) the first MLP layer reads the
 * concatenation of the k-dim rows of low-rank fields and the d-dim embeddings of dense fields
 * ({@link #firstLayerInputWidth()}).
 *
 * <p>The JSON carries {@value #VERSION_PROPERTY} ({@link #CURRENT_VERSION}); JSON without it was
 * written before the field existed and reads as version 1, so models already held in compacted
 * topics keep loading. A newer version is refused ({@link UnsupportedSpecVersionException}).
 */
@JsonPropertyOrder({ModelSpec.VERSION_PROPERTY, "name", "architecture", "fields", "mlp", "crossLayers",
    "crossStructure", "lowRank"})
@JsonInclude(JsonInclude.Include.NON_NULL)
// written by the getter, checked by fromJson before the creator runs
@JsonIgnoreProperties(value = ModelSpec.VERSION_PROPERTY, allowGetters = true)
public final class ModelSpec {
  /** The spec JSON version this code writes and the newest it reads. */
  public static final int CURRENT_VERSION = 1;
  /** The JSON property holding the spec version. */
  public static final String VERSION_PROPERTY = "specVersion";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Architecture architecture;
  private final List<FieldSpec> fields;
  private final int[] mlp;
  private final int crossLayers;
  private final CrossStructure crossStructure;
  private final LowRankConfig lowRank;

  // derived, computed once at validation
  private final Map<String, Integer> ordinals = new HashMap<>();
  private final int[] embeddingRanks;

  /** Full constructor (also the JSON creator); validates. */
  @JsonCreator
  public ModelSpec(
      @JsonProperty("name") String name,
      @JsonProperty("architecture") Architecture architecture,
      @JsonProperty("fields") List<FieldSpec> fields,
      @JsonProperty("mlp") int[] mlp,
      @JsonProperty("crossLayers") int crossLayers,
      @JsonProperty("crossStructure") CrossStructure crossStructure,
      @JsonProperty("lowRank") LowRankConfig lowRank) {
    this.name = name;
    this.architecture = architecture;
    this.fields = fields == null ? List.of() : List.copyOf(fields);
    this.mlp = mlp == null ? new int[0] : mlp.clone();
    this.crossLayers = crossLayers;
    this.crossStructure = crossStructure == null ? CrossStructure.STACKED : crossStructure;
    this.lowRank = lowRank;
    this.embeddingRanks = new int[this.fields.size()];
    validate();
  }

  /**
   * Parses and validates a spec.
   *
   * @throws UnsupportedSpecVersionException if the JSON declares a version this code cannot read
   * @throws CtrModelException if the JSON is malformed or the spec invalid
   */
  public static ModelSpec fromJson(String json) {
    if (json == null) {
      throw new CtrModelException("model spec JSON must not be null");
    }
    try {
      JsonNode tree = JSON.readTree(json);
      if (!tree.isObject()) {
        throw new CtrModelException("model spec JSON must be an object, found " + tree.getNodeType());
      }
      checkVersion(tree.get(VERSION_PROPERTY));
      return JSON.treeToValue(tree, ModelSpec.class);
    } catch (JsonProcessingException e) {
      // Jackson wraps exceptions thrown by creators; surface our own message unchanged.
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof CtrModelException) {
          throw (CtrModelException) t;
        }
      }
      throw new CtrModelException("invalid model spec JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static void checkVersion(JsonNode version) {
    if (version == null) {
      return; // written before specs had a version: version 1
    }
    if (!version.canConvertToExactIntegral() || !version.canConvertToInt()) {
      throw new CtrModelException("model spec " + VERSION_PROPERTY + " must be an integer, found " + version);
    }
    int v = version.intValue();
    if (v < 1 || v > CURRENT_VERSION) {
      throw new UnsupportedSpecVersionException(v);
    }
  }

  /** The spec as JSON with {@link #CURRENT_VERSION} (round-trips through {@link #fromJson}). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new CtrModelException("cannot write spec " + name + " as JSON", e);
    }
  }

  /**
   * Checks every constraint.
   *
   * @throws CtrModelException naming the offending part and value
   */
  public void validate() {
    if (name == null || name.isEmpty()) {
      throw new CtrModelException("model spec name must be non-empty, found " + (name == null ? "null" : "\"\""));
    }
    if (architecture == null) {
      throw new CtrModelException("architecture of model " + name + " must be one of "
          + Arrays.toString(Architecture.values()) + ", found null");
    }
    if (fields.isEmpty()) {
      throw new CtrModelException("model " + name + " must have at least one field, found none");
    }
    ordinals.clear();
    for (int i = 0; i < fields.size(); i++) {
      FieldSpec f = fields.get(i);
      if (f == null) {
        throw new CtrModelException("field " + i + " of model " + name + " is null");
      }
      if (ordinals.put(f.name(), i) != null) {
        throw new CtrModelException("duplicate field name " + f.name() + " in model " + name);
      }
    }
    for (int i = 0; i < mlp.length; i++) {
      if (mlp[i] < 1) {
        throw new CtrModelException("size of mlp layer " + i + " must be >= 1, found " + mlp[i]);
      }
    }
    if (crossLayers < 0) {
      throw new CtrModelException("cross layer count must be >= 0, found " + crossLayers);
    }
    if (crossLayers > 0 && architecture != Architecture.DCNV2) {
      throw new CtrModelException("cross layers are only legal for DCNV2, found " + crossLayers + " for "
          + architecture);
    }
    if (architecture == Architecture.DEEPFM) {
      int d = fields.get(0).embeddingDim();
      for (FieldSpec f : fields) {
        if (f.embeddingDim() != d) {
          throw new CtrModelException("DEEPFM needs one embedding dim for all fields: field " + f.name()
              + " has " + f.embeddingDim() + ", field " + fields.get(0).name() + " has " + d);
        }
      }
    }
    Arrays.fill(embeddingRanks, 0);
    if (lowRank != null) {
      for (String f : lowRank.fieldEmbeddingRanks().keySet()) {
        if (!ordinals.containsKey(f)) {
          throw new CtrModelException("embedding rank override names unknown field " + f);
        }
      }
      for (int i = 0; i < fields.size(); i++) {
        FieldSpec f = fields.get(i);
        int k = lowRank.embeddingRank(f.name());
        if (!f.isLookup()) {
          if (lowRank.fieldEmbeddingRanks().containsKey(f.name()) && k != 0) {
            throw new CtrModelException("SCALED field " + f.name() + " is a single vector and cannot be low-rank, "
                + "found embedding rank " + k);
          }
          continue; // the default rank does not apply to SCALED fields
        }
        if (k > f.embeddingDim()) {
          throw new CtrModelException("embedding rank for field " + f.name() + " must be <= its embedding dim "
              + f.embeddingDim() + ", found " + k);
        }
        embeddingRanks[i] = k;
      }
      if (lowRank.foldEmbeddings()) {
        if (architecture != Architecture.DNN) {
          throw new CtrModelException("foldEmbeddings is only legal for DNN (an interaction sits between "
              + "embeddings and the first layer), found " + architecture);
        }
        if (mlp.length == 0) {
          throw new CtrModelException("foldEmbeddings needs at least one mlp layer to fold into, found none");
        }
      }
      int[] mr = lowRank.mlpRanks();
      if (mr.length != 0 && mr.length != mlp.length) {
        throw new CtrModelException("mlpRanks must have one entry per mlp layer (" + mlp.length + "), found "
            + mr.length + ": " + Arrays.toString(mr));
      }
      int in = firstLayerInputWidth();
      for (int i = 0; i < mr.length; i++) {
        int max = Math.min(in, mlp[i]);
        if (mr[i] > max) {
          throw new CtrModelException("rank of mlp layer " + i + " (" + in + " -> " + mlp[i] + ") must be <= "
              + max + ", found " + mr[i]);
        }
        in = mlp[i];
      }
      int[] cr = lowRank.crossRanks();
      if (cr.length != 0 && cr.length != crossLayers) {
        throw new CtrModelException("crossRanks must have one entry per cross layer (" + crossLayers + "), found "
            + cr.length + ": " + Arrays.toString(cr));
      }
      int d = embeddingWidth();
      for (int i = 0; i < cr.length; i++) {
        if (cr[i] > d) {
          throw new CtrModelException("rank of cross layer " + i + " (" + d + " -> " + d + ") must be <= " + d
              + ", found " + cr[i]);
        }
      }
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder pre-filled with this spec. */
  public Builder toBuilder() {
    return new Builder().name(name).architecture(architecture).fields(fields).mlp(mlp)
        .crossLayers(crossLayers).crossStructure(crossStructure).lowRank(lowRank);
  }

  /** The spec JSON version this spec is written as: always {@link #CURRENT_VERSION}. */
  @JsonProperty(VERSION_PROPERTY)
  public int specVersion() {
    return CURRENT_VERSION;
  }

  @JsonProperty("name")
  public String name() {
    return name;
  }

  @JsonProperty("architecture")
  public Architecture architecture() {
    return architecture;
  }

  /** The fields in ordinal order (unmodifiable). */
  @JsonProperty("fields")
  public List<FieldSpec> fields() {
    return fields;
  }

  /** A copy of the hidden layer sizes. */
  @JsonProperty("mlp")
  public int[] mlp() {
    return mlp.clone();
  }

  @JsonProperty("crossLayers")
  public int crossLayers() {
    return crossLayers;
  }

  @JsonProperty("crossStructure")
  public CrossStructure crossStructure() {
    return crossStructure;
  }

  /** The low-rank configuration, {@code null} when the model is all dense. */
  @JsonProperty("lowRank")
  public LowRankConfig lowRank() {
    return lowRank;
  }

  // ---- derived layout -------------------------------------------------------------------

  /** Number of fields. */
  public int fieldCount() {
    return fields.size();
  }

  /** The field at {@code ordinal}. */
  public FieldSpec field(int ordinal) {
    return fields.get(ordinal);
  }

  /** The ordinal of the named field. @throws CtrModelException if there is none */
  public int fieldOrdinal(String field) {
    Integer o = ordinals.get(field);
    if (o == null) {
      throw new CtrModelException("model " + name + " has no field " + field);
    }
    return o;
  }

  /** Whether the named field exists. */
  public boolean hasField(String field) {
    return ordinals.containsKey(field);
  }

  /** Hidden layer count. */
  public int mlpLayers() {
    return mlp.length;
  }

  /** Size of hidden layer {@code i}. */
  public int mlpSize(int i) {
    return mlp[i];
  }

  /** Effective embedding rank of field {@code ordinal} (0 = dense; always 0 for SCALED fields). */
  public int embeddingRank(int ordinal) {
    return embeddingRanks[ordinal];
  }

  /** Whether low-rank embedding projections are folded into the first MLP layer. */
  @JsonIgnore
  public boolean isFolded() {
    return lowRank != null && lowRank.foldEmbeddings();
  }

  /** Whether low-rank linear layers have a ReLU between their factors. */
  @JsonIgnore
  public boolean isFactorActivation() {
    return lowRank != null && lowRank.factorActivation();
  }

  /** Rank of mlp layer {@code i} (0 = dense). */
  public int mlpRank(int i) {
    return lowRank == null ? 0 : lowRank.mlpRank(i);
  }

  /** Rank of cross layer {@code i} (0 = dense). */
  public int crossRank(int i) {
    return lowRank == null ? 0 : lowRank.crossRank(i);
  }

  /** Width D of x0 = the sum of all embedding dims. */
  @JsonIgnore
  public int embeddingWidth() {
    int d = 0;
    for (FieldSpec f : fields) {
      d += f.embeddingDim();
    }
    return d;
  }

  /**
   * Width of the vector the embedding stage writes for field {@code ordinal}: its rank k when
   * folded and low-rank, else its embedding dim.
   */
  public int fieldInputWidth(int ordinal) {
    int k = embeddingRanks[ordinal];
    return isFolded() && k > 0 ? k : fields.get(ordinal).embeddingDim();
  }

  /** Width of the first MLP layer's input (D, or the folded width). */
  @JsonIgnore
  public int firstLayerInputWidth() {
    int w = 0;
    for (int i = 0; i < fields.size(); i++) {
      w += fieldInputWidth(i);
    }
    return w;
  }

  /** Input width of mlp layer {@code i}. */
  public int mlpInputWidth(int i) {
    if (i > 0) {
      return mlp[i - 1];
    }
    return firstLayerInputWidth();
  }

  /** Input width of the output unit {@code out/w}. */
  @JsonIgnore
  public int outputInputWidth() {
    if (architecture == Architecture.DCNV2 && crossStructure == CrossStructure.PARALLEL) {
      return embeddingWidth() + (mlp.length == 0 ? embeddingWidth() : mlp[mlp.length - 1]);
    }
    return mlp.length == 0 ? firstLayerInputWidth() : mlp[mlp.length - 1];
  }

  /** Ordinals of the fields with the given role, in spec order. */
  public int[] fieldsWithRole(FieldSpec.Role role) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).role() == role) {
        out.add(i);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A new feature vector sized for this spec. */
  public FeatureVector newFeatureVector() {
    return new FeatureVector(fields.size());
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelSpec)) {
      return false;
    }
    ModelSpec s = (ModelSpec) o;
    return name.equals(s.name) && architecture == s.architecture && fields.equals(s.fields)
        && Arrays.equals(mlp, s.mlp) && crossLayers == s.crossLayers && crossStructure == s.crossStructure
        && Objects.equals(lowRank, s.lowRank);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, architecture, fields, Arrays.hashCode(mlp), crossLayers, crossStructure, lowRank);
  }

  @Override
  public String toString() {
    return "ModelSpec[" + name + " " + architecture + " fields=" + fields.size() + " D=" + embeddingWidth()
        + " mlp=" + Arrays.toString(mlp) + (crossLayers > 0 ? " cross=" + crossLayers + "/" + crossStructure : "")
        + (lowRank == null ? "" : " " + lowRank) + "]";
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String name;
    private Architecture architecture = Architecture.DNN;
    private final List<FieldSpec> fields = new ArrayList<>();
    private int[] mlp = new int[0];
    private int crossLayers;
    private CrossStructure crossStructure = CrossStructure.STACKED;
    private LowRankConfig lowRank;

    private Builder() {}

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder architecture(Architecture architecture) {
      this.architecture = architecture;
      return this;
    }

    /** Replaces the field list. */
    public Builder fields(List<FieldSpec> fields) {
      this.fields.clear();
      this.fields.addAll(fields);
      return this;
    }

    /** Appends a field. */
    public Builder field(FieldSpec field) {
      this.fields.add(field);
      return this;
    }

    public Builder mlp(int... sizes) {
      this.mlp = sizes.clone();
      return this;
    }

    public Builder crossLayers(int crossLayers) {
      this.crossLayers = crossLayers;
      return this;
    }

    public Builder crossStructure(CrossStructure crossStructure) {
      this.crossStructure = crossStructure;
      return this;
    }

    /** Sets the low-rank configuration ({@code null} = all dense). */
    public Builder lowRank(LowRankConfig lowRank) {
      this.lowRank = lowRank;
      return this;
    }

    public ModelSpec build() {
      return new ModelSpec(name, architecture, fields, mlp, crossLayers, crossStructure, lowRank);
    }
  }
}
