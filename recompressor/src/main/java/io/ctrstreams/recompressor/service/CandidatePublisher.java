package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.DeltaFollower;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServedModel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Names, numbers and describes what the recompressor publishes to the models topic. The manifest
 * is the model's identity: the served name, the version and the metadata (compression provenance,
 * sizes, gate summary, and the full snapshot's manifest metadata, e.g. the trainer's stats) are
 * the manifest's. The bytes go out as they are: the candidate is encoded once, the full snapshot
 * is re-published from its stored chunks as the shadow model.
 */
final class CandidatePublisher implements AutoCloseable {
  private final ModelPublisher publisher;
  private final String modelName;
  private final String fullModelName;
  private final String shadowModelName;

  /** A publisher over {@code publisher} (owned from now on); {@code shadowModelName} may be null. */
  CandidatePublisher(ModelPublisher publisher, String modelName, String fullModelName, String shadowModelName) {
    this.publisher = Objects.requireNonNull(publisher, "publisher");
    this.modelName = Objects.requireNonNull(modelName, "modelName");
    this.fullModelName = Objects.requireNonNull(fullModelName, "fullModelName");
    this.shadowModelName = shadowModelName;
  }

  /**
   * The candidate's .ctrm, encoded once. The file carries content and provenance: it is named
   * like the model it becomes and numbered like the full snapshot it was compressed from.
   */
  byte[] encode(CtrModel candidate, long fullVersion) {
    ModelFile f = candidate.toFile();
    return CtrmFormat.toBytes(
        new ModelFile(modelName, fullVersion, f.specJson(), f.metadata(), f.tensors(), f.stringTables(),
            f.calibration()));
  }

  /**
   * Publishes an accepted candidate: first the full snapshot as the shadow model (unless the
   * topic has it already), so the topology compares a candidate with its own exact teacher; then
   * the candidate ({@link #encode}d) as the next version of the compressed model after both
   * {@code publishedBefore} (this service's newest, or -1) and the topic's newest.
   *
   * @return the published version
   */
  long publish(AssemblyResult.Assembled full, byte[] candidateBytes, Map<String, String> candidateMetadata,
      String gateSummary, long publishedBefore) {
    if (shadowModelName != null && full.version() > publisher.topicState(shadowModelName).newestVersion()) {
      Map<String, String> shadow = new LinkedHashMap<>(full.manifest().getMetadata());
      shadow.put("role", "shadow");
      shadow.put("source-model", fullModelName);
      publisher.publish(shadowModelName, full.version(), full.chunks(), shadow);
    }
    long version = Math.max(1, Math.max(publishedBefore, publisher.topicState(modelName).newestVersion()) + 1);
    long fullBytes = full.size();
    Map<String, String> meta = new LinkedHashMap<>(full.manifest().getMetadata());
    // the full model's delta chain is not this model's: only the candidate's own chain is named
    meta.remove(DeltaFollower.DELTA_OFFSET_KEY);
    meta.remove(DeltaFollower.DELTA_TOPIC_KEY);
    meta.putAll(candidateMetadata);
    meta.put(ServedModel.COMPRESSED_FROM, Long.toString(full.version()));
    meta.put("compressed-from-model", fullModelName);
    meta.put("full-bytes", Long.toString(fullBytes));
    meta.put("compressed-bytes", Long.toString(candidateBytes.length));
    meta.put(ServedModel.COMPRESSION_RATIO,
        String.format(Locale.ROOT, "%.4f", (double) fullBytes / candidateBytes.length));
    meta.put("gate", gateSummary);
    publisher.publish(modelName, version, candidateBytes, meta);
    return version;
  }

  @Override
  public void close() {
    publisher.close();
  }
}
