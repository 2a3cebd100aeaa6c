package io.ctrstreams.server;

import io.ctrstreams.model.format.CtrmFileInfo;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * Models served from a .ctrm file with no Kafka at all ({@code ctr serve --model m.ctrm}): the
 * file goes through the same registry path as a version assembled from the models topic (decode,
 * checks, scorer preparation), as the file's own version.
 */
public final class ModelFiles {
  private ModelFiles() {}

  /**
   * The name the file's model declares.
   *
   * @throws ServerException when the file is not a loadable .ctrm model
   */
  public static String modelName(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      return CtrmFormat.inspect(bytes).modelName();
    } catch (RuntimeException e) {
      throw new ServerException(file + " is not a loadable .ctrm model: " + e.getMessage(), e);
    }
  }

  /**
   * Serves {@code file} in {@code registry} as the file's version.
   *
   * @throws ServerException when the file is not a loadable model or the registry rejects it
   */
  public static void load(ModelRegistry registry, Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    CtrmFileInfo info;
    try {
      // every size, CRC32C and the SHA-256 checked without decoding the tensors: the registry
      // decodes them once (and rejects a model that does not load), a hot swap does not pay twice
      info = CtrmFormat.inspect(bytes);
    } catch (RuntimeException e) {
      throw new ServerException(file + " is not a loadable .ctrm model: " + e.getMessage(), e);
    }
    long version = Math.max(1, info.modelVersion());
    ModelManifest manifest = ModelManifest.newBuilder()
        .setModel(registry.name()).setVersion(version).setChunkCount(1).setTotalBytes(bytes.length)
        .setSha256(info.sha256Hex()).setCreatedAtEpochMs(Files.getLastModifiedTime(file).toMillis())
        .setMetadata(new HashMap<>())
        .build();
    ModelRegistry.Outcome o = registry.offer(manifest, bytes);
    if (o == ModelRegistry.Outcome.IGNORED) {
      throw new ServerException("model " + file + " was not served as '" + registry.name() + "': its version "
          + version + " is already held (a changed model needs a newer version)");
    }
    if (o != ModelRegistry.Outcome.SWAPPED) {
      throw new ServerException("model " + file + " was not served as '" + registry.name() + "': " + o
          + " (rejections: " + registry.rejectCounts() + ")");
    }
  }
}
