package io.ctrstreams.model.format;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.zip.Checksum;

/**
 * SHA-256 and CRC32C over large byte ranges in bounded steps. The JVM computes both with
 * intrinsics that have no safepoint poll inside: one call over a whole model (megabytes) keeps
 * its thread from reaching a safepoint until it returns, and every other thread of the JVM waits
 * at the safepoint meanwhile. On a server whose decode thread runs at the lowest CPU priority
 * ({@code DecodePriority}) that is a priority inversion: the stopped request threads wait for a
 * thread the scheduler gives about 1.5% of a core, and a 4 ms hash became a 50-60 ms stall of
 * every request (BENCHMARKS.md section 7.6: {@code -XX:+SafepointTimeout} named the model-file
 * thread). In steps of {@link #STEP} bytes the longest stretch without a poll is about 10 us of
 * CPU. Same results as one call.
 */
public final class Checksums {
  /** Bytes per intrinsic call. */
  public static final int STEP = 1 << 14;

  private Checksums() {}

  /** {@code md.update(b, off, len)} in steps. */
  public static void update(MessageDigest md, byte[] b, int off, int len) {
    for (int end = off + len; off < end; off += STEP) {
      md.update(b, off, Math.min(STEP, end - off));
    }
  }

  /** {@code md.update(buffer)} in steps (the buffer's position moves to its limit, as there). */
  public static void update(MessageDigest md, ByteBuffer buffer) {
    if (buffer.hasArray()) {
      int len = buffer.remaining();
      update(md, buffer.array(), buffer.arrayOffset() + buffer.position(), len);
      buffer.position(buffer.position() + len);
    } else {
      md.update(buffer); // a direct buffer is copied to the digest in small pieces already
    }
  }

  /** {@code checksum.update(b, off, len)} in steps. */
  public static void update(Checksum checksum, byte[] b, int off, int len) {
    for (int end = off + len; off < end; off += STEP) {
      checksum.update(b, off, Math.min(STEP, end - off));
    }
  }

  /** {@code checksum.update(buffer)} in steps (the buffer's position moves to its limit, as there). */
  public static void update(Checksum checksum, ByteBuffer buffer) {
    if (buffer.hasArray()) {
      update(checksum, buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
      buffer.position(buffer.limit());
    } else {
      checksum.update(buffer);
    }
  }
}
