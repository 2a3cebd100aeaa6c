package io.ctrstreams.serving;

import io.ctrstreams.schemas.ModelChunk;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.schemas.ModelPin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rebuilds published model files from the records of the models topic, in topic order; pure
 * logic, no Kafka types, so a Kafka Streams global processor, a plain consumer or a test can feed
 * it.
 *
 * <p>Per model it buffers the chunks of versions newer than the newest assembled one. A manifest
 * yields {@link AssemblyResult.Assembled} when every chunk is present and the length and SHA-256
 * of the concatenation match; otherwise a {@link AssemblyResult.Rejected}. Policies:
 *
 * <ul>
 *   <li><b>Chunks after their manifest</b>: the publisher flushes all chunks before it writes the
 *       manifest to the same partition, so a manifest that finds chunks missing means lost chunks
 *       or a misbehaving publisher. The version is rejected at once ({@code MISSING_CHUNKS}) and
 *       its buffer dropped; chunks arriving later are buffered as a new attempt and need a new
 *       manifest. Waiting instead would pin memory on a version that may never complete.
 *   <li><b>Duplicated chunk</b>: the last value wins (as compaction would keep it); the manifest's
 *       checksum decides.
 *   <li><b>Bad chunk record</b> (index out of range, wrong count, oversized, undecodable): that
 *       record is rejected and ignored; the version can still complete from its good chunks.
 *   <li><b>Manifest equal to the newest assembled version</b> ({@code <model>/manifest} after
 *       {@code <model>/<v>/manifest}): nothing to do, {@link AssemblyResult.Pending}. Older:
 *       {@code OLDER_THAN_CURRENT} (roll back with a pin, not by republishing).
 *   <li><b>Bounded memory</b>: chunks of versions at or below the newest assembled one are
 *       dropped; at most {@value #MAX_PENDING_VERSIONS} versions per model are buffered (the
 *       oldest is dropped first); total buffered bytes are capped, and a version that cannot fit
 *       is rejected with {@code BUFFER_OVERFLOW}.
 * </ul>
 *
 * <p>Not thread-safe: one thread feeds it (the global stream thread).
 */
public final class ModelChunkAssembler {

  /** Default cap on buffered chunk bytes over all models. */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 512L << 20;
  /** Default cap on one chunk's size (the publisher writes at most 900 KiB). */
  public static final int DEFAULT_MAX_CHUNK_BYTES = 1 << 20;
  /** Versions of one model buffered at the same time. */
  public static final int MAX_PENDING_VERSIONS = 2;
  /** Upper bound on a version's chunk count, checked before allocating its chunk table. */
  public static final int MAX_CHUNKS = 1 << 16;

  private final long maxBufferedBytes;
  private final int maxChunkBytes;
  private final Map<String, ModelState> models = new HashMap<>();
  private long bufferedBytes;
  private long droppedChunks;

  /** An assembler with the default limits. */
  public ModelChunkAssembler() {
    this(DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_CHUNK_BYTES);
  }

  /**
   * An assembler with explicit limits.
   *
   * @param maxBufferedBytes cap on buffered chunk bytes over all models, >= maxChunkBytes
   * @param maxChunkBytes cap on one chunk's data, >= 1
   */
  public ModelChunkAssembler(long maxBufferedBytes, int maxChunkBytes) {
    if (maxChunkBytes < 1) {
      throw new IllegalArgumentException("maxChunkBytes must be >= 1, found " + maxChunkBytes);
    }
    if (maxBufferedBytes < maxChunkBytes) {
      throw new IllegalArgumentException(
          "maxBufferedBytes must be >= maxChunkBytes (" + maxChunkBytes + "), found "
              + maxBufferedBytes);
    }
    this.maxBufferedBytes = maxBufferedBytes;
    this.maxChunkBytes = maxChunkBytes;
  }

  /**
   * Feeds one record of the models topic.
   *
   * @param key the record key (see {@link ModelKeys})
   * @param value the record value, or null for a tombstone
   * @return what the record produced; never null
   */
  public AssemblyResult accept(String key, byte[] value) {
    ModelKeys.Parsed k;
    try {
      k = ModelKeys.parse(key);
    } catch (ServingException e) {
      return new AssemblyResult.Rejected(
          String.valueOf(key), -1, RejectReason.MALFORMED_RECORD, e.getMessage());
    }
    switch (k.kind()) {
      case CHUNK:
        return acceptChunk(k, value);
      case MANIFEST:
        return acceptManifest(k, value);
      case PIN:
        return acceptPin(k, value);
      default:
        throw new AssertionError(k.kind());
    }
  }

  /** Bytes of chunk data currently buffered (accounted memory, exported as a metric). */
  public long bufferedBytes() {
    return bufferedBytes;
  }

  /** Chunks ignored because their version was already assembled, dropped or over the cap. */
  public long droppedChunks() {
    return droppedChunks;
  }

  /** Newest version assembled for {@code model}, or -1. */
  public long newestAssembled(String model) {
    ModelState s = models.get(model);
    return s == null ? -1 : s.newestAssembled;
  }

  /** Versions of {@code model} with buffered chunks, ascending. */
  public List<Long> pendingVersions(String model) {
    ModelState s = models.get(model);
    return s == null ? List.of() : new ArrayList<>(s.pending.keySet());
  }

  private AssemblyResult acceptChunk(ModelKeys.Parsed k, byte[] value) {
    ModelState state = models.computeIfAbsent(k.model(), m -> new ModelState());
    if (value == null) {
      // Tombstone of an old version's chunk: forget it if it is still buffered.
      ChunkSet set = state.pending.get(k.version());
      if (set != null && k.index() >= 0 && k.index() < set.chunks.length) {
        bufferedBytes -= set.remove(k.index());
      }
      return AssemblyResult.PENDING;
    }
    ModelChunk chunk;
    try {
      chunk = ModelRecords.decodeChunk(value);
    } catch (Exception e) {
      return reject(k, RejectReason.MALFORMED_RECORD, "chunk " + k.index() + " is not a ModelChunk: " + e);
    }
    if (!chunk.getModel().equals(k.model()) || chunk.getVersion() != k.version()
        || chunk.getIndex() != k.index()) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "key " + ModelKeys.chunk(k.model(), k.version(), k.index()) + " holds chunk "
              + ModelKeys.chunk(chunk.getModel(), chunk.getVersion(), chunk.getIndex()));
    }
    int count = chunk.getChunkCount();
    if (count < 1 || count > MAX_CHUNKS) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "chunk count must be in [1, " + MAX_CHUNKS + "], found " + count);
    }
    if (k.index() < 0 || k.index() >= count) {
      return reject(k, RejectReason.CHUNK_INDEX_OUT_OF_RANGE,
          "chunk index must be in [0, " + count + "), found " + k.index());
    }
    int size = chunk.getData().remaining();
    if (size > maxChunkBytes) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "chunk " + k.index() + " holds " + size + " bytes, above the limit of " + maxChunkBytes);
    }
    if (k.version() <= state.newestAssembled || k.version() == state.overflowedVersion) {
      droppedChunks++;
      return AssemblyResult.PENDING;
    }
    ChunkSet set = state.pending.get(k.version());
    if (set == null) {
      while (state.pending.size() >= MAX_PENDING_VERSIONS) {
        dropSet(state, state.pending.firstKey());
      }
      set = new ChunkSet(count);
      state.pending.put(k.version(), set);
    } else if (set.chunks.length != count) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "chunk " + k.index() + " says " + count + " chunks, earlier chunks said "
              + set.chunks.length);
    }
    long growth = size - set.sizeOf(k.index());
    if (bufferedBytes + growth > maxBufferedBytes) {
      evictOtherVersions(k.model(), k.version(), growth);
    }
    if (bufferedBytes + growth > maxBufferedBytes) {
      dropSet(state, k.version());
      state.overflowedVersion = k.version();
      return reject(k, RejectReason.BUFFER_OVERFLOW,
          "buffering chunk " + k.index() + " (" + size + " bytes) would exceed the cap of "
              + maxBufferedBytes + " bytes");
    }
    byte[] data = new byte[size];
    chunk.getData().duplicate().get(data);
    set.put(k.index(), data);
    bufferedBytes += growth;
    return AssemblyResult.PENDING;
  }

  private AssemblyResult acceptManifest(ModelKeys.Parsed k, byte[] value) {
    if (value == null) {
      return AssemblyResult.PENDING; // the publisher retired an old version's manifest
    }
    ModelManifest m;
    try {
      m = ModelRecords.decodeManifest(value);
    } catch (Exception e) {
      return reject(k, RejectReason.MALFORMED_RECORD, "manifest is not a ModelManifest: " + e);
    }
    if (!m.getModel().equals(k.model()) || (k.version() >= 0 && k.version() != m.getVersion())) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "manifest key of " + k.model() + (k.version() >= 0 ? " v" + k.version() : "")
              + " holds the manifest of " + m.getModel() + " v" + m.getVersion());
    }
    ModelState state = models.computeIfAbsent(k.model(), x -> new ModelState());
    long version = m.getVersion();
    if (version == state.newestAssembled) {
      return AssemblyResult.PENDING;
    }
    if (version < state.newestAssembled) {
      return new AssemblyResult.Rejected(k.model(), version, RejectReason.OLDER_THAN_CURRENT,
          "manifest of version " + version + " is older than the assembled version "
              + state.newestAssembled);
    }
    ChunkSet set = state.pending.get(version);
    if (set != null) {
      dropSet(state, version);
    }
    if (set == null || set.present < m.getChunkCount() || set.chunks.length != m.getChunkCount()) {
      if (set != null && set.chunks.length != m.getChunkCount()) {
        return new AssemblyResult.Rejected(k.model(), version, RejectReason.MISSING_CHUNKS,
            "manifest lists " + m.getChunkCount() + " chunks, the chunks say "
                + set.chunks.length);
      }
      return new AssemblyResult.Rejected(k.model(), version, RejectReason.MISSING_CHUNKS,
          "manifest lists " + m.getChunkCount() + " chunks, missing "
              + (set == null ? "all" : set.missingIndices()));
    }
    if (set.bytes != m.getTotalBytes()) {
      return new AssemblyResult.Rejected(k.model(), version, RejectReason.CHECKSUM_MISMATCH,
          "chunks hold " + set.bytes + " bytes, the manifest says " + m.getTotalBytes());
    }
    if (set.bytes > Integer.MAX_VALUE - 8) {
      return new AssemblyResult.Rejected(k.model(), version, RejectReason.BUFFER_OVERFLOW,
          "model of " + set.bytes + " bytes does not fit one array");
    }
    String actual = ModelRecords.sha256Hex(Arrays.asList(set.chunks));
    if (!actual.equalsIgnoreCase(m.getSha256())) {
      return new AssemblyResult.Rejected(k.model(), version, RejectReason.CHECKSUM_MISMATCH,
          "SHA-256 of the assembled bytes is " + actual + ", the manifest says " + m.getSha256());
    }
    state.newestAssembled = version;
    // Older buffered attempts can never be served now.
    while (!state.pending.isEmpty() && state.pending.firstKey() <= version) {
      dropSet(state, state.pending.firstKey());
    }
    return new AssemblyResult.Assembled(m, Arrays.asList(set.chunks));
  }

  private AssemblyResult acceptPin(ModelKeys.Parsed k, byte[] value) {
    if (value == null) {
      return new AssemblyResult.Unpin(k.model());
    }
    ModelPin pin;
    try {
      pin = ModelRecords.decodePin(value);
    } catch (Exception e) {
      return reject(k, RejectReason.MALFORMED_RECORD, "pin is not a ModelPin: " + e);
    }
    if (!pin.getModel().equals(k.model()) || pin.getVersion() < 0) {
      return reject(k, RejectReason.MALFORMED_RECORD,
          "pin key of " + k.model() + " holds a pin of " + pin.getModel() + " v" + pin.getVersion());
    }
    return new AssemblyResult.Pin(k.model(), pin.getVersion());
  }

  private AssemblyResult reject(ModelKeys.Parsed k, RejectReason reason, String message) {
    return new AssemblyResult.Rejected(k.model(), k.version(), reason, message);
  }

  private void dropSet(ModelState state, long version) {
    ChunkSet set = state.pending.remove(version);
    if (set != null) {
      bufferedBytes -= set.bytes;
    }
  }

  /** Frees room by dropping buffered versions other than the one being filled, oldest first. */
  private void evictOtherVersions(String model, long version, long needed) {
    for (Map.Entry<String, ModelState> e : models.entrySet()) {
      Iterator<Map.Entry<Long, ChunkSet>> it = e.getValue().pending.entrySet().iterator();
      while (it.hasNext() && bufferedBytes + needed > maxBufferedBytes) {
        Map.Entry<Long, ChunkSet> p = it.next();
        if (e.getKey().equals(model) && p.getKey() == version) {
          continue;
        }
        bufferedBytes -= p.getValue().bytes;
        it.remove();
      }
    }
  }

  private static final class ModelState {
    long newestAssembled = -1;
    long overflowedVersion = -1;
    final TreeMap<Long, ChunkSet> pending = new TreeMap<>();
  }

  private static final class ChunkSet {
    final byte[][] chunks;
    int present;
    long bytes;

    ChunkSet(int count) {
      chunks = new byte[count][];
    }

    int sizeOf(int index) {
      return chunks[index] == null ? 0 : chunks[index].length;
    }

    void put(int index, byte[] data) {
      if (chunks[index] == null) {
        present++;
      }
      bytes += data.length - sizeOf(index);
      chunks[index] = data;
    }

    /** Forgets one chunk; returns the bytes freed. */
    long remove(int index) {
      byte[] c = chunks[index];
      if (c == null) {
        return 0;
      }
      present--;
      bytes -= c.length;
      chunks[index] = null;
      return c.length;
    }

    String missingIndices() {
      List<Integer> missing = new ArrayList<>();
      for (int i = 0; i < chunks.length && missing.size() < 10; i++) {
        if (chunks[i] == null) {
          missing.add(i);
        }
      }
      return missing + (chunks.length - present > missing.size() ? "..." : "");
    }
  }

}
