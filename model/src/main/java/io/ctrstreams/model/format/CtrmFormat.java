package io.ctrstreams.model.format;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes {@code .ctrm} files: the versioned, checksummed binary encoding of a {@link
 * ModelFile}. Modelled on Lucene's {@code CodecUtil}: magic, format name and version up front,
 * a CRC32C per record, a SHA-256 footer, distinct exceptions for truncated, corrupt and
 * unsupported-version input, and every size validated before anything is allocated.
 *
 * <h2>Layout of format versions 1 and 2</h2>
 *
 * <p>Version 2 adds the CALIBRATION record after the tensors; everything else is version 1. The
 * writer writes version 2 only for a model with a calibration map, so uncalibrated models keep
 * their version 1 bytes (older readers load them, SHA-256 identities do not change).
 *
 * <p>All integers and floats are <b>little-endian</b> (the byte order of every platform we run
 * on, so float payloads decode with a bulk copy). {@code i32}/{@code i64} are two's complement,
 * {@code u8} unsigned. A <i>string</i> is an {@code i32} byte length {@code L} (0 ≤ L ≤ the
 * reader's {@code maxStringBytes}) followed by {@code L} bytes of strict UTF-8.
 *
 * <pre>
 * HEADER
 *   4 bytes   magic "CTRM" (0x43 0x54 0x52 0x4D)
 *   string    format name "io.ctrstreams.ctrm"
 *   i32       format version (1 or 2)
 *   string    model name (non-empty)
 *   i64       model version (&gt;= 0)
 *   string    spec JSON (opaque here)
 *   i32       metadata entry count M, then M times: string key, string value (keys unique)
 *   i32       string table count S
 *   i32       tensor count T
 *   u32       CRC32C of the header bytes above (from the magic on)
 * STRING TABLE, S times
 *   string    table name (unique)
 *   i32       entry count E, then E strings
 *   u32       CRC32C of this record (from its name length on)
 * TENSOR, T times
 *   string    tensor name (non-empty, unique)
 *   u8        dtype: 0 FLOAT32, 1 FLOAT16, 2 INT8_ROW_SCALED ({@link TensorDtype})
 *   u8        rank R, 1 ≤ R ≤ 16
 *   R × i32   shape, every dimension ≥ 1, row-major
 *   i64       payload length P; must equal 4N (FLOAT32), 2N (FLOAT16) or 4·shape[0] + N
 *             (INT8_ROW_SCALED) for N elements
 *   P bytes   payload: N float32; N binary16; or shape[0] float32 row scales then N int8
 *   u32       CRC32C of this record (from its name length to the end of the payload)
 * CALIBRATION, version 2 only (exactly one record)
 *   u8        kind: 0 NONE, 1 PLATT, 2 ISOTONIC ({@link io.ctrstreams.model.Calibration})
 *   PLATT:    f64 a (&gt; 0), f64 b: pCTR = sigmoid(a * logit + b)
 *   ISOTONIC: i32 K (1 ≤ K ≤ 65536), K × f64 knot logits (increasing), K × f64 knot
 *             probabilities (non-decreasing, in [0, 1])
 *   u32       CRC32C of this record (from the kind on)
 * FOOTER
 *   32 bytes  SHA-256 of every byte before the footer
 *   4 bytes   footer magic "MRTC" (0x4D 0x52 0x54 0x43)
 * </pre>
 *
 * Nothing may follow the footer. A reader checks, in this order: magic, format name, version
 * (so a newer file is reported as {@link UnsupportedFormatVersionException}, whatever its later
 * layout), every size against the remaining input and the {@link ReadOptions} caps, each CRC32C
 * when its record ends, the footer magic, the absence of trailing bytes and the SHA-256. The
 * CRCs localize damage to a record; the SHA-256 covers everything and is the identity that
 * manifests refer to.
 *
 * <p>Compatibility: a new layout gets a new {@link #CURRENT_VERSION}; readers keep decoding
 * every version from {@link #MIN_SUPPORTED_VERSION} on, and a fixture file of each released
 * version ({@code model/src/test/resources/fixtures/ctrm-v1/}) must keep loading. See also
 * {@code docs/ctrm-format.md}.
 */
public final class CtrmFormat {
  /** The format version this code writes. */
  public static final int CURRENT_VERSION = 2;

  /** The oldest format version this code reads. */
  public static final int MIN_SUPPORTED_VERSION = 1;

  /** Written after the magic; distinguishes .ctrm from other "CTRM"-prefixed data. */
  public static final String FORMAT_NAME = "io.ctrstreams.ctrm";

  /** Conventional file name extension. */
  public static final String FILE_EXTENSION = ".ctrm";

  /** Largest tensor rank the format stores. */
  public static final int MAX_RANK = 16;

  static final byte[] MAGIC = {'C', 'T', 'R', 'M'};
  static final byte[] FOOTER_MAGIC = {'M', 'R', 'T', 'C'};
  static final int FOOTER_LENGTH = 32 + 4;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private CtrmFormat() {}

  // ---------------------------------------------------------------- writing

  /** Writes {@code file} with every tensor as FLOAT32. Does not close {@code out}. */
  public static void write(ModelFile file, OutputStream out) throws IOException {
    write(file, out, WriteOptions.defaults());
  }

  /** Writes {@code file} with the dtypes chosen by {@code options}. Does not close {@code out}. */
  public static void write(ModelFile file, OutputStream out, WriteOptions options)
      throws IOException {
    new CtrmWriter(out, options).write(file);
  }

  /** The encoding of {@code file} with every tensor as FLOAT32. */
  public static byte[] toBytes(ModelFile file) {
    return toBytes(file, WriteOptions.defaults());
  }

  /** The encoding of {@code file} with the dtypes chosen by {@code options}. */
  public static byte[] toBytes(ModelFile file, WriteOptions options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(estimateBytes(file));
    try {
      write(file, out, options);
    } catch (IOException e) {
      throw new UncheckedIOException("ByteArrayOutputStream cannot fail", e);
    }
    return out.toByteArray();
  }

  /** Atomically writes {@code file} (all FLOAT32) to {@code path}; see {@link #write(ModelFile, Path, WriteOptions)}. */
  public static void write(ModelFile file, Path path) throws IOException {
    write(file, path, WriteOptions.defaults());
  }

  /**
   * Writes {@code file} to {@code path} atomically: into a temporary file in the same
   * directory, forced to disk, then moved over {@code path}, so a concurrent reader (or a crash)
   * sees either the old file or the complete new one, never a prefix.
   */
  public static void write(ModelFile file, Path path, WriteOptions options) throws IOException {
    Path abs = path.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    // not Files.createTempFile: it creates the file 0600, and the serving process may run as
    // another user; CREATE_NEW honours the umask like any other new file
    Path tmp = dir.resolve(
        "." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
            + ".tmp");
    boolean moved = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
        write(file, out, options);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      fsyncDirectory(dir);
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Makes the rename durable (as Lucene's IOUtils.fsync does); not every platform allows it. */
  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // e.g. Windows cannot open a directory: the move is still atomic, only durability on
      // power loss is weaker there
    }
  }

  // ---------------------------------------------------------------- reading

  /** Decodes a complete {@code .ctrm} file with the default {@link ReadOptions}. */
  public static ModelFile read(byte[] bytes) {
    return read(bytes, ReadOptions.defaults());
  }

  /** Decodes a complete {@code .ctrm} file. */
  public static ModelFile read(byte[] bytes, ReadOptions options) {
    return new CtrmReader(ByteBuffer.wrap(bytes), options, true).read();
  }

  /**
   * Decodes a complete {@code .ctrm} file from the remaining bytes of {@code buffer} (position
   * to limit; the buffer's position is not changed).
   */
  public static ModelFile read(ByteBuffer buffer, ReadOptions options) {
    return new CtrmReader(buffer.slice(), options, true).read();
  }

  /**
   * Reads {@code in} to its end and decodes it with the default {@link ReadOptions}. Does not
   * close {@code in}.
   */
  public static ModelFile read(InputStream in) throws IOException {
    return read(in, ReadOptions.defaults());
  }

  /**
   * Reads {@code in} to its end (at most {@code options.maxBytes()} bytes, the buffer grows
   * with the data actually received) and decodes it. Does not close {@code in}.
   */
  public static ModelFile read(InputStream in, ReadOptions options) throws IOException {
    byte[] bytes = in.readNBytes((int) Math.min(options.maxBytes() + 1, ReadOptions.MAX_IN_MEMORY_BYTES));
    if (bytes.length > options.maxBytes()
        || (bytes.length == ReadOptions.MAX_IN_MEMORY_BYTES && in.read() >= 0)) {
      throw new CorruptModelException(
          "input exceeds the limit of " + options.maxBytes() + " bytes (ReadOptions.maxBytes)", -1);
    }
    return read(bytes, options);
  }

  /** Reads and decodes the file at {@code path} with the default {@link ReadOptions}. */
  public static ModelFile read(Path path) throws IOException {
    return read(path, ReadOptions.defaults());
  }

  /** Reads and decodes the file at {@code path}; its size is checked before it is read. */
  public static ModelFile read(Path path, ReadOptions options) throws IOException {
    return read(readFile(path, options), options);
  }

  /**
   * Verifies a complete {@code .ctrm} file exactly as {@link #read(byte[])} does (every size,
   * CRC32C and the SHA-256) and describes it, without decoding or allocating tensor values.
   */
  public static CtrmFileInfo inspect(byte[] bytes) {
    return inspect(bytes, ReadOptions.defaults());
  }

  /** As {@link #inspect(byte[])} with explicit limits. */
  public static CtrmFileInfo inspect(byte[] bytes, ReadOptions options) {
    return new CtrmReader(ByteBuffer.wrap(bytes), options, false).inspect();
  }

  /** Reads the file at {@code path} and {@linkplain #inspect(byte[]) inspects} it. */
  public static CtrmFileInfo inspect(Path path) throws IOException {
    return inspect(readFile(path, ReadOptions.defaults()), ReadOptions.defaults());
  }

  /**
   * The bytes of {@code path} in one exact-size array, refusing files over the limit before
   * reading them ({@code read(byte[])} re-checks, in case the file grew meanwhile).
   */
  private static byte[] readFile(Path path, ReadOptions options) throws IOException {
    long size = Files.size(path);
    if (size > options.maxBytes()) {
      throw new CorruptModelException(
          path + " has " + size + " bytes, more than the limit of " + options.maxBytes()
              + " (ReadOptions.maxBytes)", -1);
    }
    return Files.readAllBytes(path);
  }

  // ---------------------------------------------------------------- digests

  /** Lower-case hex SHA-256 of {@code bytes}; the identity of a model file in manifests. */
  public static String sha256Hex(byte[] bytes) {
    return hex(newSha256().digest(bytes));
  }

  /** Lower-case hex SHA-256 of the remaining bytes of {@code buffer} (position unchanged). */
  public static String sha256Hex(ByteBuffer buffer) {
    MessageDigest sha = newSha256();
    Checksums.update(sha, buffer.duplicate());
    return hex(sha.digest());
  }

  /** Lower-case hex SHA-256 of the file at {@code path}, streamed. */
  public static String sha256Hex(Path path) throws IOException {
    MessageDigest sha = newSha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(path)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
    }
    return hex(sha.digest());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }

  static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  private static int estimateBytes(ModelFile file) {
    long n = 256 + (long) file.specJson().length() * 3;
    for (var t : file.tensors()) {
      n += 64 + 4L * t.size();
    }
    return (int) Math.min(n, 1 << 30);
  }
}
