package io.ctrstreams.serving;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.delta.PagedModel;
import io.ctrstreams.schemas.ModelManifest;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * An immutable, fully loaded model version as served by a {@link ModelRegistry}: stream threads
 * read it through {@link ModelRegistry#current()} and score with {@link #scorer()}.
 *
 * @param name the served model name (the topic key prefix)
 * @param version the served version (the manifest's; {@code model().version()} is the file's own,
 *     which is provenance and may differ)
 * @param model the decoded model, as the file holds it
 * @param scorer the model's optimized scorer (thread-safe)
 * @param loadedAt when the registry finished loading it
 * @param sizeBytes length of the .ctrm bytes
 * @param metadata the .ctrm metadata overlaid with the manifest metadata
 * @param manifest the manifest it came with, or null when loaded from a file
 * @param deltaSequence sequence of the last compressed delta applied on top of {@code version}'s
 *     keyframe, 0 when none ({@link ModelRegistry#applyDelta})
 * @param deltaCreatedAtMs when that delta was made (ms since the epoch), 0 when none
 * @param chain the delta-updated weights ({@code scorer} is theirs), null when no delta was applied;
 *     {@code model} stays the keyframe (spec, encoder, vocabularies)
 */
public record ServedModel(
    String name,
    long version,
    CtrModel model,
    Scorer scorer,
    Instant loadedAt,
    long sizeBytes,
    Map<String, String> metadata,
    ModelManifest manifest,
    long deltaSequence,
    long deltaCreatedAtMs,
    PagedModel chain) {

  /** A version as loaded, before any delta. */
  public ServedModel(String name, long version, CtrModel model, Scorer scorer, Instant loadedAt, long sizeBytes,
      Map<String, String> metadata, ModelManifest manifest) {
    this(name, version, model, scorer, loadedAt, sizeBytes, metadata, manifest, 0, 0, null);
  }

  /** Metadata key naming the model this one was compressed from. */
  public static final String COMPRESSED_FROM = "compressed-from";
  /** Metadata key of the parameter-count ratio (full / compressed). */
  public static final String COMPRESSION_RATIO = "compression-ratio";

  /** Validates and copies the metadata. */
  public ServedModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(scorer, "scorer");
    Objects.requireNonNull(loadedAt, "loadedAt");
    metadata = Map.copyOf(metadata);
  }

  /** The model this one was compressed from, if recorded. */
  public Optional<String> compressedFrom() {
    return Optional.ofNullable(metadata.get(COMPRESSED_FROM));
  }

  /** The compression ratio, if recorded and numeric. */
  public OptionalDouble compressionRatio() {
    String r = metadata.get(COMPRESSION_RATIO);
    if (r == null) {
      return OptionalDouble.empty();
    }
    try {
      return OptionalDouble.of(Double.parseDouble(r));
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** Heap bytes held by the model (tensors, vocabularies, scorer layouts). */
  public long ramBytesUsed() {
    return model.ramBytesUsed();
  }

  @Override
  public String toString() {
    return "ServedModel[" + name + " v" + version + (deltaSequence > 0 ? " +" + deltaSequence : "") + ", "
        + sizeBytes + " bytes]";
  }
}
