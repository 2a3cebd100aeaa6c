package io.ctrstreams.serving;

import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.ModelManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local copy of what one model name's scorer serves, so a restarted scorer serves at once
 * instead of after replaying the models topic, and knows the inputs it was built for.
 *
 * <p>In its directory: {@code v<version>.ctrm} (the served file, byte for byte), {@code manifest}
 * (its Avro {@link ModelManifest}, written after the file, atomically: the manifest names the
 * complete file) and {@code expected-spec.json} (the spec of the first model served, or the
 * configured one: {@link ModelRegistry#expect}). {@link #load} verifies size and SHA-256 against
 * the manifest, so a torn or altered checkpoint is never served (it is reported and ignored;
 * the topic replay serves the model). Written by the thread that swaps models, one writer per
 * directory.
 */
public final class ModelCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCheckpoint.class);

  private static final String MANIFEST = "manifest";
  private static final String EXPECTED_SPEC = "expected-spec.json";

  private final Path dir;

  /**
   * A checkpoint in {@code dir} (created on the first save).
   *
   * @param dir a directory of this model name alone
   */
  public ModelCheckpoint(Path dir) {
    this.dir = Objects.requireNonNull(dir, "dir");
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /**
   * A checkpointed model: its manifest and verified .ctrm bytes.
   *
   * @param manifest the manifest it was served under
   * @param bytes the .ctrm file
   */
  public record Restored(ModelManifest manifest, byte[] bytes) {}

  /**
   * Saves {@code ctrm} (its remaining bytes; the buffer's position is not moved) as the served
   * version of {@code manifest}, then deletes the previous version's file.
   *
   * @throws UncheckedIOException when the directory cannot be written
   */
  public void save(ModelManifest manifest, ByteBuffer ctrm) {
    try {
      Files.createDirectories(dir);
      String file = fileName(manifest.getVersion());
      Path tmp = dir.resolve(file + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ctrm.duplicate();
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      writeAtomically(MANIFEST, ModelRecords.encode(manifest));
      try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "v*.ctrm")) {
        for (Path p : old) {
          if (!p.getFileName().toString().equals(file)) {
            Files.deleteIfExists(p);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the model checkpoint in " + dir, e);
    }
  }

  /**
   * The checkpointed model, verified; empty when there is none or it is incomplete or corrupt
   * (logged with the reason).
   */
  public Optional<Restored> load() {
    Path manifestPath = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestPath)) {
      return Optional.empty();
    }
    try {
      ModelManifest m = ModelRecords.decodeManifest(Files.readAllBytes(manifestPath));
      Path file = dir.resolve(fileName(m.getVersion()));
      if (!Files.isRegularFile(file)) {
        LOG.warn("model checkpoint in {} ignored: manifest names v{} but {} is missing", dir, m.getVersion(), file);
        return Optional.empty();
      }
      long size = Files.size(file);
      if (size != m.getTotalBytes()) {
        LOG.warn("model checkpoint {} ignored: {} bytes, the manifest says {}", file, size, m.getTotalBytes());
        return Optional.empty();
      }
      byte[] bytes = Files.readAllBytes(file);
      String sha = ModelRecords.sha256Hex(bytes);
      if (!sha.equalsIgnoreCase(m.getSha256())) {
        LOG.warn("model checkpoint {} ignored: SHA-256 {} differs from the manifest's {}", file, sha, m.getSha256());
        return Optional.empty();
      }
      return Optional.of(new Restored(m, bytes));
    } catch (IOException | RuntimeException e) {
      LOG.warn("model checkpoint in {} ignored: {}", dir, e.toString());
      return Optional.empty();
    }
  }

  /** Saves {@code spec} as the expected spec (replacing any). */
  public void saveExpectedSpec(ModelSpec spec) {
    try {
      Files.createDirectories(dir);
      writeAtomically(EXPECTED_SPEC, spec.toJson().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the expected spec in " + dir, e);
    }
  }

  /**
   * The saved expected spec; empty when none was saved.
   *
   * @throws ServingException when the file exists but is not a spec (never silently ignored: it
   *     decides which models are served)
   */
  public Optional<ModelSpec> expectedSpec() {
    Path p = dir.resolve(EXPECTED_SPEC);
    if (!Files.isRegularFile(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(ModelSpec.fromJson(Files.readString(p, StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException e) {
      throw new ServingException("expected spec " + p + " is unreadable (" + e.getMessage()
          + "); delete it to take the next served model's, or set model.expected.spec", e);
    }
  }

  private void writeAtomically(String name, byte[] bytes) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    Files.write(tmp, bytes, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String fileName(long version) {
    return "v" + version + ".ctrm";
  }
}
