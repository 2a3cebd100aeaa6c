package io.ctrstreams.model.format;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Decodes one {@code .ctrm} file held entirely in a buffer (layout on {@link CtrmFormat}).
 *
 * <p>Because the whole input is at hand, every declared count and length is checked against the
 * bytes that remain (and the {@link ReadOptions} caps) before anything is allocated: a forged
 * header can never make the reader allocate more than a small multiple of the input size.
 * Checks run in file order (magic, format name, version, header CRC, each record's CRC, footer,
 * SHA-256) so that the first error names the most specific cause.
 */
final class CtrmReader {
  /** Smallest possible encoding of one metadata entry: two empty strings. */
  private static final int MIN_METADATA_ENTRY = 8;
  /** Smallest possible string table: empty name, zero entries, CRC. */
  private static final int MIN_STRING_TABLE = 12;
  /** Smallest possible tensor: 1-byte name, dtype, rank 1, one dim, length, 1 byte, CRC. */
  private static final int MIN_TENSOR = 4 + 1 + 1 + 1 + 4 + 8 + 1 + 4;

  private final ByteBuffer in;
  private final ReadOptions options;
  /** False for {@link CtrmFormat#inspect}: verify everything, skip decoding the payloads. */
  private final boolean decode;
  private final List<CtrmFileInfo.TensorInfo> tensorInfos = new ArrayList<>();
  private CtrmFileInfo info;
  private final CRC32C crc = new CRC32C();
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** {@code in} holds exactly the file: position 0 to limit. */
  CtrmReader(ByteBuffer in, ReadOptions options, boolean decode) {
    this.in = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.in.position(0);
    this.options = options;
    this.decode = decode;
  }

  /** Verifies the whole file and describes it without decoding tensor values. */
  CtrmFileInfo inspect() {
    read();
    return info;
  }

  ModelFile read() {
    if (in.limit() > options.maxBytes()) {
      throw new CorruptModelException(
          "file of " + in.limit() + " bytes exceeds the limit of " + options.maxBytes()
              + " bytes (ReadOptions.maxBytes)",
          0);
    }
    // magic, format name and version come first and are checked before anything else, so a
    // future version with a different layout is reported as such rather than as corruption
    need(CtrmFormat.MAGIC.length, "magic");
    byte[] magic = new byte[CtrmFormat.MAGIC.length];
    in.get(magic);
    if (!Arrays.equals(magic, CtrmFormat.MAGIC)) {
      throw new CorruptModelException(
          "not a .ctrm file: magic is " + hex(magic) + ", expected " + hex(CtrmFormat.MAGIC), 0);
    }
    long nameAt = pos();
    String formatName = readString("format name", 64);
    if (!formatName.equals(CtrmFormat.FORMAT_NAME)) {
      throw new CorruptModelException(
          "format name is \"" + formatName + "\", expected \"" + CtrmFormat.FORMAT_NAME + "\"",
          nameAt);
    }
    long versionAt = pos();
    int version = readInt("format version");
    if (version < CtrmFormat.MIN_SUPPORTED_VERSION || version > CtrmFormat.CURRENT_VERSION) {
      throw new UnsupportedFormatVersionException(version, versionAt);
    }
    String modelName = readString("model name", options.maxStringBytes());
    long modelVersion = readLong("model version of " + modelName);
    String spec = readString("spec JSON of model " + modelName, options.maxStringBytes());
    int metaCount = readCount("metadata entry count", MIN_METADATA_ENTRY);
    Map<String, String> metadata = new LinkedHashMap<>();
    for (int i = 0; i < metaCount; i++) {
      long at = pos();
      String key = readString("metadata key #" + i, options.maxStringBytes());
      String value = readString("metadata value of " + key, options.maxStringBytes());
      if (metadata.put(key, value) != null) {
        throw new CorruptModelException("duplicate metadata key \"" + key + "\"", at);
      }
    }
    int tableCount = readCount("string table count", MIN_STRING_TABLE);
    int tensorCount = readCount("tensor count", MIN_TENSOR);
    checkCrc(0, "header");

    Map<String, List<String>> tables = new LinkedHashMap<>();
    for (int i = 0; i < tableCount; i++) {
      long start = pos();
      String name = readString("name of string table #" + i, options.maxStringBytes());
      int n = readCount("entry count of string table " + name, 4);
      List<String> entries = new ArrayList<>(n);
      for (int j = 0; j < n; j++) {
        entries.add(readString("entry " + j + " of string table " + name, options.maxStringBytes()));
      }
      checkCrc(start, "string table " + name);
      if (tables.put(name, entries) != null) {
        throw new CorruptModelException("duplicate string table \"" + name + "\"", start);
      }
    }

    List<Tensor> tensors = new ArrayList<>(tensorCount);
    Set<String> tensorNames = new HashSet<>();
    for (int i = 0; i < tensorCount; i++) {
      long at = pos();
      Tensor t = readTensor(i);
      String name = tensorInfos.get(i).name();
      if (!tensorNames.add(name)) {
        throw new CorruptModelException("duplicate tensor \"" + name + "\"", at);
      }
      if (t != null) {
        tensors.add(t);
      }
    }

    Calibration calibration = version >= 2 ? readCalibration() : Calibration.none();

    long footerAt = pos();
    need(CtrmFormat.FOOTER_LENGTH, "footer");
    byte[] storedSha = new byte[32];
    in.get(storedSha);
    byte[] footerMagic = new byte[CtrmFormat.FOOTER_MAGIC.length];
    in.get(footerMagic);
    if (!Arrays.equals(footerMagic, CtrmFormat.FOOTER_MAGIC)) {
      throw new CorruptModelException(
          "footer magic is " + hex(footerMagic) + ", expected " + hex(CtrmFormat.FOOTER_MAGIC),
          footerAt + 32);
    }
    if (in.hasRemaining()) {
      throw new CorruptModelException(
          in.remaining() + " trailing bytes after the footer", pos());
    }
    MessageDigest sha = CtrmFormat.newSha256();
    Checksums.update(sha, in.duplicate().position(0).limit((int) footerAt));
    byte[] actual = sha.digest();
    if (!MessageDigest.isEqual(actual, storedSha)) {
      throw new CorruptModelException(
          "SHA-256 mismatch: footer says " + CtrmFormat.hex(storedSha) + ", content hashes to "
              + CtrmFormat.hex(actual),
          footerAt);
    }
    if (!decode) {
      Map<String, Integer> sizes = new LinkedHashMap<>();
      tables.forEach((k, v) -> sizes.put(k, v.size()));
      info = new CtrmFileInfo(version, modelName, modelVersion, in.limit(),
          CtrmFormat.sha256Hex(in.duplicate().position(0)), metadata, sizes, tensorInfos);
    }
    try {
      return new ModelFile(modelName, modelVersion, spec, metadata, tensors, tables, calibration);
    } catch (CtrModelException e) {
      // e.g. an empty model name or a negative version: structurally valid, semantically not
      throw new CorruptModelException("invalid model content: " + e.getMessage(), 0, e);
    }
  }

  private Calibration readCalibration() {
    long start = pos();
    need(1, "calibration kind");
    int code = in.get() & 0xff;
    Calibration.Kind kind = Calibration.Kind.fromCode(code);
    if (kind == null) {
      throw new CorruptModelException("unknown calibration kind code " + code, start);
    }
    Calibration c;
    try {
      switch (kind) {
        case PLATT -> {
          need(16, "Platt calibration parameters");
          double a = in.getDouble();
          double b = in.getDouble();
          checkCrc(start, "calibration");
          c = Calibration.platt(a, b);
        }
        case ISOTONIC -> {
          long at = pos();
          int n = readInt("isotonic knot count");
          if (n < 1 || n > Calibration.MAX_KNOTS) {
            throw new CorruptModelException("isotonic knot count must be in [1, " + Calibration.MAX_KNOTS + "], found "
                + n, at);
          }
          need(16L * n, "isotonic knots");
          double[] x = new double[n];
          double[] y = new double[n];
          for (int i = 0; i < n; i++) {
            x[i] = in.getDouble();
          }
          for (int i = 0; i < n; i++) {
            y[i] = in.getDouble();
          }
          checkCrc(start, "calibration");
          c = Calibration.isotonic(x, y);
        }
        default -> {
          checkCrc(start, "calibration");
          c = Calibration.none();
        }
      }
    } catch (CtrModelException e) {
      if (e instanceof ModelFormatException) {
        throw e;
      }
      throw new CorruptModelException("invalid calibration: " + e.getMessage(), start, e);
    }
    return c;
  }

  private Tensor readTensor(int index) {
    long start = pos();
    String name = readString("name of tensor #" + index, options.maxStringBytes());
    if (name.isEmpty()) {
      throw new CorruptModelException("tensor #" + index + " has an empty name", start);
    }
    long dtypeAt = pos();
    need(2, "dtype and rank of tensor " + name);
    int code = in.get() & 0xff;
    TensorDtype dtype = TensorDtype.fromCode(code);
    if (dtype == null) {
      throw new CorruptModelException("unknown dtype code " + code + " for tensor " + name, dtypeAt);
    }
    int rank = in.get() & 0xff;
    if (rank < 1 || rank > CtrmFormat.MAX_RANK) {
      throw new CorruptModelException(
          "rank of tensor " + name + " must be in [1, " + CtrmFormat.MAX_RANK + "], found " + rank,
          dtypeAt + 1);
    }
    long shapeAt = pos();
    need(4L * rank, "shape of tensor " + name);
    int[] shape = new int[rank];
    long elements = 1;
    for (int i = 0; i < rank; i++) {
      shape[i] = in.getInt();
      if (shape[i] < 1) {
        throw new CorruptModelException(
            "dimension " + i + " of tensor " + name + " must be >= 1, found " + shape[i],
            shapeAt + 4L * i);
      }
      elements *= shape[i]; // cannot overflow: checked against the cap (< 2^31) at every step
      if (elements > options.maxTensorElements()) {
        throw new CorruptModelException(
            "tensor " + name + " shape " + Arrays.toString(Arrays.copyOf(shape, i + 1))
                + (i + 1 < rank ? "..." : "") + " has more than " + options.maxTensorElements()
                + " elements (ReadOptions.maxTensorElements)",
            shapeAt);
      }
    }
    long lengthAt = pos();
    long payload = readLong("payload length of tensor " + name);
    long expected = dtype.payloadBytes(elements, shape[0]);
    if (payload != expected) {
      throw new CorruptModelException(
          "payload length of tensor " + name + " is " + payload + ", expected " + expected
              + " for " + dtype + " " + Arrays.toString(shape),
          lengthAt);
    }
    need(payload + 4, "payload of tensor " + name);
    // the CRC is verified before decoding so a flipped payload bit is reported as such
    int payloadAt = in.position();
    in.position(payloadAt + (int) payload);
    checkCrc(start, "tensor " + name);
    int after = in.position();
    tensorInfos.add(new CtrmFileInfo.TensorInfo(name, dtype, shape, payload, start));
    if (!decode) {
      return null;
    }
    in.position(payloadAt);
    float[] data = new float[(int) elements];
    switch (dtype) {
      case FLOAT32: {
        // in steps: one bulk get of a whole table is one copy without a safepoint poll (Checksums)
        java.nio.FloatBuffer fb = in.asFloatBuffer();
        for (int off = 0, step = Checksums.STEP / Float.BYTES; off < data.length; off += step) {
          fb.get(data, off, Math.min(step, data.length - off));
        }
        break;
      }
      case FLOAT16:
        for (int i = 0; i < data.length; i++) {
          data[i] = Float16.toFloat(in.getShort(payloadAt + 2 * i));
        }
        break;
      case INT8_ROW_SCALED:
        int rows = shape[0];
        int rowLen = data.length / rows;
        int valuesAt = payloadAt + 4 * rows;
        for (int r = 0; r < rows; r++) {
          float scale = in.getFloat(payloadAt + 4 * r);
          if (!(scale >= 0f) || scale == Float.POSITIVE_INFINITY) {
            throw new CorruptModelException(
                "scale of row " + r + " of tensor " + name + " must be finite and >= 0, found "
                    + scale,
                payloadAt + 4L * r);
          }
          for (int j = r * rowLen, end = j + rowLen; j < end; j++) {
            byte q = in.get(valuesAt + j);
            if (q == Byte.MIN_VALUE) {
              throw new CorruptModelException(
                  "int8 value of tensor " + name + " at index " + j + " is -128, outside [-127, 127]",
                  valuesAt + (long) j);
            }
            data[j] = q * scale;
          }
        }
        break;
      default:
        throw new AssertionError(dtype);
    }
    in.position(after);
    return new Tensor(name, shape, data);
  }

  private void checkCrc(long start, String what) {
    int end = in.position();
    crc.reset();
    Checksums.update(crc, in.duplicate().position((int) start).limit(end));
    int expected = (int) crc.getValue();
    int stored = readInt("CRC32C of " + what);
    if (stored != expected) {
      throw new CorruptModelException(
          "CRC32C mismatch in " + what + ": stored " + String.format("%08x", stored)
              + ", computed " + String.format("%08x", expected),
          end);
    }
  }

  private long pos() {
    return in.position();
  }

  private void need(long n, String what) {
    if (in.remaining() < n) {
      throw new TruncatedModelException(
          "input ends inside " + what + ": needs " + n + " bytes, only " + in.remaining()
              + " remain",
          pos());
    }
  }

  private int readInt(String what) {
    need(4, what);
    return in.getInt();
  }

  private long readLong(String what) {
    need(8, what);
    return in.getLong();
  }

  /**
   * A count of items that each take at least {@code minItemBytes}: a count the remaining input
   * cannot hold is rejected here, before any list is sized by it.
   */
  private int readCount(String what, int minItemBytes) {
    long at = pos();
    int n = readInt(what);
    if (n < 0) {
      throw new CorruptModelException(what + " must be >= 0, found " + n, at);
    }
    if ((long) n * minItemBytes > in.remaining()) {
      throw new TruncatedModelException(
          what + " is " + n + ", needing at least " + (long) n * minItemBytes + " bytes, only "
              + in.remaining() + " remain",
          at);
    }
    return n;
  }

  private String readString(String what, int maxBytes) {
    long at = pos();
    int len = readInt("length of " + what);
    if (len < 0 || len > maxBytes) {
      throw new CorruptModelException(
          "length of " + what + " must be in [0, " + maxBytes + "], found " + len, at);
    }
    need(len, what);
    if (len == 0) {
      return "";
    }
    ByteBuffer slice = in.slice(in.position(), len);
    in.position(in.position() + len);
    try {
      return utf8.decode(slice).toString();
    } catch (CharacterCodingException e) {
      throw new CorruptModelException(what + " is not valid UTF-8", at + 4, e);
    }
  }

  private static String hex(byte[] b) {
    return "0x" + CtrmFormat.hex(b);
  }
}
