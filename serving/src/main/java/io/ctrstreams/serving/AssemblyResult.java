package io.ctrstreams.serving;

import io.ctrstreams.schemas.ModelManifest;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/** What one record fed to a {@link ModelChunkAssembler} produced. */
public sealed interface AssemblyResult {

  /** The model the result is about (empty for {@link Pending}). */
  String model();

  /** The record was buffered or had nothing to report (chunk, duplicate manifest, tombstone). */
  record Pending() implements AssemblyResult {
    @Override
    public String model() {
      return "";
    }
  }

  /**
   * A version is complete and its SHA-256 matched: hand it to the registry. The file stays in its
   * chunks, in order: one contiguous copy of a multi-MB model would be a humongous object for G1
   * (at least half a heap region), and each one started a concurrent GC cycle that took a core
   * for 100-200 ms in the middle of every swap (BENCHMARKS.md section 4). Decoders copy the
   * chunks into a reused off-heap buffer ({@link #copyInto}), publishers pass them on as they
   * are; {@link #bytes()} joins them for callers that want an array.
   */
  record Assembled(ModelManifest manifest, List<byte[]> chunks) implements AssemblyResult {
    /** A result over {@code chunks} (kept as given, in order). */
    public Assembled {
      Objects.requireNonNull(manifest, "manifest");
      chunks = List.copyOf(chunks);
    }

    /** A result over one array (tests, callers holding a whole file). */
    public Assembled(ModelManifest manifest, byte[] bytes) {
      this(manifest, List.of(bytes));
    }

    @Override
    public String model() {
      return manifest.getModel();
    }

    /** The assembled version. */
    public long version() {
      return manifest.getVersion();
    }

    /** The file's length in bytes. */
    public long size() {
      return lengthOf(chunks);
    }

    /** The summed length of {@code chunks}. */
    static long lengthOf(List<byte[]> chunks) {
      long n = 0;
      for (byte[] c : chunks) {
        n += c.length;
      }
      return n;
    }

    /**
     * The whole file in an off-heap buffer (position 0, limit its length) for
     * {@code CtrmFormat.read}: {@code reuse} when it is large enough, else a new direct buffer of
     * the next power of two, which the caller keeps for the next file, so a swap or a
     * recompression allocates no multi-MB heap array.
     *
     * @param reuse the buffer returned last time, or null
     * @throws ServingException when the file is too large for one buffer
     */
    public ByteBuffer copyInto(ByteBuffer reuse) {
      long size = size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new ServingException("model of " + size + " bytes does not fit one buffer");
      }
      ByteBuffer b = reuse;
      if (b == null || b.capacity() < size) {
        long nextPowerOfTwo = size <= 1 ? 1 : Long.highestOneBit(size - 1) << 1;
        b = ByteBuffer.allocateDirect((int) Math.min(nextPowerOfTwo, Integer.MAX_VALUE - 8));
      }
      b.clear();
      for (byte[] c : chunks) {
        b.put(c);
      }
      return b.flip();
    }

    /** The whole file in a new array (a copy of the chunks; tests and small files). */
    public byte[] bytes() {
      byte[] out = new byte[Math.toIntExact(size())];
      int p = 0;
      for (byte[] c : chunks) {
        System.arraycopy(c, 0, out, p, c.length);
        p += c.length;
      }
      return out;
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
