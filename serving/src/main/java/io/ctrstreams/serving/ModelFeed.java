package io.ctrstreams.serving;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole models-topic consumer path in one object: an assembler plus the registries of the
 * served model names (e.g. the live and the shadow model). Feed it every record of the topic in
 * order from one thread — a Kafka Streams global processor's {@code process}, or a plain consumer
 * loop — and read {@link ModelRegistry#current()} from any thread.
 *
 * <pre>{@code
 * ModelFeed feed = new ModelFeed(new ModelChunkAssembler(), List.of(live, shadow));
 * // in the global processor:
 * feed.accept(record.key(), record.value());
 * }</pre>
 *
 * Records of model names without a registry are assembled and dropped (their memory is freed on
 * assembly); their rejections are not counted anywhere.
 */
public final class ModelFeed {

  private final ModelChunkAssembler assembler;
  private final Map<String, ModelRegistry> registries = new LinkedHashMap<>();

  /**
   * A feed.
   *
   * @param assembler the assembler (owned by this feed from now on)
   * @param registries one registry per served model name; names must be distinct
   */
  public ModelFeed(ModelChunkAssembler assembler, Collection<ModelRegistry> registries) {
    this.assembler = Objects.requireNonNull(assembler, "assembler");
    for (ModelRegistry r : registries) {
      if (this.registries.putIfAbsent(r.name(), r) != null) {
        throw new ServingException("two registries for model name " + r.name());
      }
    }
  }

  /** A feed with a default assembler and the given registries. */
  public static ModelFeed of(ModelRegistry... registries) {
    return new ModelFeed(new ModelChunkAssembler(), List.of(registries));
  }

  /**
   * Feeds one record (null value = tombstone) and applies what it produced to the registry of its
   * model; decoding happens here, on the caller's thread.
   *
   * @return what the registry did, or IGNORED for buffered chunks and unserved model names
   */
  public ModelRegistry.Outcome accept(String key, byte[] value) {
    AssemblyResult result = assembler.accept(key, value);
    ModelRegistry r = registries.get(result.model()); // none for Pending: no model is named ""
    return r == null ? ModelRegistry.Outcome.IGNORED : r.apply(result);
  }

  /** The registry serving {@code modelName}, or null. */
  public ModelRegistry registry(String modelName) {
    return registries.get(modelName);
  }

  /** The assembler (for its memory gauge and dropped-chunk counter). */
  public ModelChunkAssembler assembler() {
    return assembler;
  }
}
