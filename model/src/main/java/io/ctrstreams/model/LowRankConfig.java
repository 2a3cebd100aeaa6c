package io.ctrstreams.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a model is low-rank (Unified Low-rank Compression Framework, KDD 2024, "AFM"): every rank
 * is 0 for "keep dense".
 *
 * <ul>
 *   <li>{@code embeddingRank}: default rank k of every lookup field's embedding (table [rows, k],
 *       projection [k, d], bias [d]); {@code fieldEmbeddingRanks} overrides it per field (AFM picks
 *       ranks per layer). SCALED numeric fields are a single vector and always stay dense.
 *   <li>{@code foldEmbeddings}: the projections are folded into the first MLP layer, which then
 *       reads the k-dim rows directly (W1' = W1 blockdiag(P_f), b1' = b1 + W1 concat(mu_f)). Only
 *       legal for DNN, where nothing sits between the embeddings and W1.
 *   <li>{@code mlpRanks}: per hidden layer (empty = all dense); y = U(Vx + c) + d.
 *   <li>{@code crossRanks}: per DCN-V2 cross layer (empty = all dense).
 *   <li>{@code factorActivation}: ReLU between the two factors of every low-rank linear layer (the
 *       paper's fine-tuned variant; the exact AFM form has none).
 * </ul>
 *
 * <p>Immutable; arrays are copied in and out. Constraints that need the rest of the spec are
 * checked by {@link ModelSpec#validate()}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record LowRankConfig(int embeddingRank, boolean foldEmbeddings, int[] mlpRanks, int[] crossRanks,
    boolean factorActivation, Map<String, Integer> fieldEmbeddingRanks) {

  /**
   * Copies the arrays and the map (null means empty) and checks the constraints that do not
   * depend on the rest of the spec (also the JSON creator).
   */
  public LowRankConfig {
    mlpRanks = mlpRanks == null ? new int[0] : mlpRanks.clone();
    crossRanks = crossRanks == null ? new int[0] : crossRanks.clone();
    fieldEmbeddingRanks = fieldEmbeddingRanks == null
        ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fieldEmbeddingRanks));
    if (embeddingRank < 0) {
      throw new CtrModelException("embedding rank must be >= 0 (0 = dense), found " + embeddingRank);
    }
    for (int i = 0; i < mlpRanks.length; i++) {
      if (mlpRanks[i] < 0) {
        throw new CtrModelException("rank of mlp layer " + i + " must be >= 0 (0 = dense), found " + mlpRanks[i]);
      }
    }
    for (int i = 0; i < crossRanks.length; i++) {
      if (crossRanks[i] < 0) {
        throw new CtrModelException("rank of cross layer " + i + " must be >= 0 (0 = dense), found " + crossRanks[i]);
      }
    }
    for (Map.Entry<String, Integer> e : fieldEmbeddingRanks.entrySet()) {
      if (e.getValue() == null || e.getValue() < 0) {
        throw new CtrModelException("embedding rank for field " + e.getKey() + " must be >= 0 (0 = dense), found "
            + e.getValue());
      }
    }
  }

  /** A config with only embedding and MLP ranks (no cross layers, no per-field overrides). */
  public static LowRankConfig of(int embeddingRank, boolean foldEmbeddings, int... mlpRanks) {
    return new LowRankConfig(embeddingRank, foldEmbeddings, mlpRanks, null, false, null);
  }

  /** A copy of the per-hidden-layer ranks (may be empty = all dense). */
  @Override
  public int[] mlpRanks() {
    return mlpRanks.clone();
  }

  /** Rank of mlp layer {@code i} (0 = dense). */
  public int mlpRank(int i) {
    return i < mlpRanks.length ? mlpRanks[i] : 0;
  }

  /** A copy of the per-cross-layer ranks (may be empty = all dense). */
  @Override
  public int[] crossRanks() {
    return crossRanks.clone();
  }

  /** Rank of cross layer {@code i} (0 = dense). */
  public int crossRank(int i) {
    return i < crossRanks.length ? crossRanks[i] : 0;
  }

  /** Embedding rank of the named field (override or default; 0 = dense). */
  public int embeddingRank(String field) {
    Integer r = fieldEmbeddingRanks.get(field);
    return r == null ? embeddingRank : r;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LowRankConfig)) {
      return false;
    }
    LowRankConfig c = (LowRankConfig) o;
    return embeddingRank == c.embeddingRank && foldEmbeddings == c.foldEmbeddings
        && Arrays.equals(mlpRanks, c.mlpRanks) && Arrays.equals(crossRanks, c.crossRanks)
        && factorActivation == c.factorActivation && fieldEmbeddingRanks.equals(c.fieldEmbeddingRanks);
  }

  @Override
  public int hashCode() {
    return Objects.hash(embeddingRank, foldEmbeddings, Arrays.hashCode(mlpRanks), Arrays.hashCode(crossRanks),
        factorActivation, fieldEmbeddingRanks);
  }

  @Override
  public String toString() {
    return "LowRankConfig[emb=" + embeddingRank + (foldEmbeddings ? " folded" : "") + " mlp="
        + Arrays.toString(mlpRanks) + " cross=" + Arrays.toString(crossRanks)
        + (factorActivation ? " relu-between-factors" : "")
        + (fieldEmbeddingRanks.isEmpty() ? "" : " fields=" + fieldEmbeddingRanks) + "]";
  }
}
