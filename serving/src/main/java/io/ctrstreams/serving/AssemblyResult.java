package io.ctrstreams.serving;

import io.ctrstreams.schemas.ModelManifest;

/** What one record fed to a {@link ModelChunkAssembler} produced. */
public sealed interface AssemblyResult {

  /** The record was buffered or had nothing to report (chunk, duplicate manifest, tombstone). */
  record Pending() implements AssemblyResult {}

  /** A version is complete and its SHA-256 matched: hand {@code bytes} to the registry. */
  record Assembled(ModelManifest manifest, byte[] bytes) implements AssemblyResult {
    /** The model name. */
    public String model() {
      return manifest.getModel();
    }

    /** The assembled version. */
    public long version() {
      return manifest.getVersion();
    }
  }

  /** A version (or one record of it) was rejected; the previously served model stays. */
  record Rejected(String model, long version, RejectReason reason, String message)
      implements AssemblyResult {}

  /** A pin record: serve {@code version} of {@code model} until un-pinned. */
  record Pin(String model, long version) implements AssemblyResult {}

  /** A pin tombstone: serve the newest version of {@code model} again. */
  record Unpin(String model) implements AssemblyResult {}

  /** The shared {@link Pending} instance (no allocation per buffered chunk). */
  AssemblyResult PENDING = new Pending();
}
