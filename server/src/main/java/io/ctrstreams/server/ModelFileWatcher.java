package io.ctrstreams.server;

import io.ctrstreams.serving.DecodePriority;
import io.ctrstreams.serving.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot swap from a file ({@code model.file.poll.ms}): polls a served {@code .ctrm} file and, when
 * it has changed (modification time, size or file key: a new file renamed over it counts), loads
 * it through the registry as {@link ModelFiles#load} does, on this watcher's own thread, so
 * requests keep being answered by the previous model until the new one is decoded, checked and
 * swapped in with one reference write.
 *
 * <p>A file that fails (truncated or corrupt, another model's inputs, or a version not newer than
 * the one served) is never served: the previous model keeps serving, the failure is logged and
 * counted ({@link #failures}, and the registry's rejection counters), and the file is tried again
 * when it changes again. Replace a model by writing it next to the served path and renaming it
 * over it ({@code mv}), so the watcher never reads a half-written file; a half-written one is only
 * refused (its checksum fails) and read again once the writer's last change is seen.
 */
public final class ModelFileWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFileWatcher.class);

  private final ModelRegistry registry;
  private final Path file;
  private final long pollMs;
  private final Thread thread;
  private final AtomicLong loads = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile boolean closed;
  private Stamp seen;

  /** The identity of one state of the file: what a change changes. */
  private record Stamp(long modifiedNanos, long size, Object fileKey) {
    static Stamp of(Path file) throws IOException {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size(), a.fileKey());
    }
  }

  /**
   * A watcher of {@code file}, which {@code registry} serves now (its state at construction is
   * taken as loaded), polling every {@code pollMs}; call {@link #start}.
   */
  public ModelFileWatcher(ModelRegistry registry, Path file, long pollMs) throws IOException {
    if (pollMs <= 0) {
      throw new IllegalArgumentException("poll interval must be > 0 ms, found " + pollMs);
    }
    this.registry = Objects.requireNonNull(registry, "registry");
    this.file = Objects.requireNonNull(file, "file");
    this.pollMs = pollMs;
    this.seen = Stamp.of(file);
    this.thread = new Thread(this::run, "ctr-model-file-" + registry.name());
    this.thread.setDaemon(true);
  }

  /** Starts polling. */
  public ModelFileWatcher start() {
    thread.start();
    return this;
  }

  /** Changes of the file served. */
  public long loads() {
    return loads.get();
  }

  /** Changes of the file refused (the previous model kept serving). */
  public long failures() {
    return failures.get();
  }

  /** Checks the file once: loads it when it changed since the last check; true when it was served. */
  boolean poll() {
    Stamp now;
    try {
      now = Stamp.of(file);
    } catch (NoSuchFileException e) {
      return false; // between a delete and the rename that replaces it: the served model stays
    } catch (IOException e) {
      LOG.warn("cannot read the attributes of model file {}: {}", file, e.toString());
      return false;
    }
    if (now.equals(seen)) {
      return false;
    }
    seen = now;
    try {
      ModelFiles.load(registry, file);
      loads.incrementAndGet();
      LOG.info("model file {} changed: now serving '{}' v{}", file, registry.name(), registry.current().version());
      return true;
    } catch (IOException | ServerException e) {
      failures.incrementAndGet();
      LOG.warn("model file {} changed but was not served (v{} keeps serving): {}", file,
          registry.current() == null ? "none" : registry.current().version(), e.getMessage());
      return false;
    }
  }

  private void run() {
    DecodePriority.lowerCurrentThread(); // decodes take only CPU the event loops leave
    while (!closed) {
      try {
        Thread.sleep(pollMs);
      } catch (InterruptedException e) {
        return;
      }
      if (!closed) {
        poll();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
