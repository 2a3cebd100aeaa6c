package io.ctrstreams.model.format;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Streams one {@link ModelFile} in the layout documented on {@link CtrmFormat}. Bytes go through
 * a fixed 64 KiB buffer that feeds the output, the running SHA-256 (whole file) and the running
 * CRC32C (current record) in one place, so tensor payloads are never copied whole.
 */
final class CtrmWriter {
  private final OutputStream out;
  private final WriteOptions options;
  private final MessageDigest sha = CtrmFormat.newSha256();
  private final CRC32C crc = new CRC32C();
  private final byte[] buf = new byte[1 << 16];
  private final ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
  private final CharsetEncoder utf8 =
      StandardCharsets.UTF_8
          .newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  CtrmWriter(OutputStream out, WriteOptions options) {
    this.out = out;
    this.options = options;
  }

  void write(ModelFile file) throws IOException {
    String model = file.modelName();
    // header
    startRecord();
    bb.put(CtrmFormat.MAGIC);
    putString(CtrmFormat.FORMAT_NAME, "format name");
    // version 1 layout unless there is a calibration map: uncalibrated models stay readable by
    // older readers and keep their bytes (and SHA-256 identity)
    boolean calibrated = file.calibration().kind() != Calibration.Kind.NONE;
    bb.putInt(calibrated ? CtrmFormat.CURRENT_VERSION : 1);
    putString(model, "model name");
    ensure(8);
    bb.putLong(file.modelVersion());
    putString(file.specJson(), "spec JSON of model " + model);
    Map<String, String> metadata = file.metadata();
    ensure(4);
    bb.putInt(metadata.size());
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new CtrModelException(
            "metadata of model " + model + " must not contain null, found " + e.getKey() + "="
                + e.getValue());
      }
      putString(e.getKey(), "metadata key");
      putString(e.getValue(), "metadata value of " + e.getKey());
    }
    ensure(8);
    bb.putInt(file.stringTables().size());
    bb.putInt(file.tensors().size());
    endRecord();

    for (Map.Entry<String, List<String>> t : file.stringTables().entrySet()) {
      if (t.getKey() == null) {
        throw new CtrModelException("string table name of model " + model + " must not be null");
      }
      startRecord();
      putString(t.getKey(), "string table name");
      List<String> entries = t.getValue();
      ensure(4);
      bb.putInt(entries.size());
      for (String s : entries) {
        putString(s, "entry of string table " + t.getKey());
      }
      endRecord();
    }

    for (Tensor t : file.tensors()) {
      writeTensor(t);
    }

    if (calibrated) {
      writeCalibration(file.calibration());
    }

    // footer: the digest covers every byte before it, the footer magic is outside
    flush();
    ensure(CtrmFormat.FOOTER_LENGTH);
    bb.put(sha.digest());
    bb.put(CtrmFormat.FOOTER_MAGIC);
    out.write(buf, 0, bb.position());
    bb.clear();
    out.flush();
  }

  private void writeCalibration(Calibration c) throws IOException {
    startRecord();
    ensure(1);
    bb.put((byte) c.kind().code());
    if (c.kind() == Calibration.Kind.PLATT) {
      ensure(16);
      bb.putDouble(c.a());
      bb.putDouble(c.b());
    } else if (c.kind() == Calibration.Kind.ISOTONIC) {
      double[] x = c.knotLogits();
      double[] y = c.knotProbabilities();
      ensure(4);
      bb.putInt(x.length);
      for (double v : x) {
        ensure(8);
        bb.putDouble(v);
      }
      for (double v : y) {
        ensure(8);
        bb.putDouble(v);
      }
    }
    endRecord();
  }

  private void writeTensor(Tensor t) throws IOException {
    TensorDtype dtype = options.dtypeFor(t.name());
    int[] shape = t.shape();
    if (shape.length > CtrmFormat.MAX_RANK) {
      throw new CtrModelException(
          "tensor " + t.name() + " has rank " + shape.length + ", the format allows at most "
              + CtrmFormat.MAX_RANK);
    }
    float[] data = t.data();
    int rows = shape[0];
    int rowLen = data.length / rows;
    startRecord();
    putString(t.name(), "tensor name");
    ensure(2 + 4 * shape.length + 8);
    bb.put((byte) dtype.code());
    bb.put((byte) shape.length);
    for (int d : shape) {
      bb.putInt(d);
    }
    bb.putLong(dtype.payloadBytes(data.length, rows));
    switch (dtype) {
      case FLOAT32:
        for (int i = 0; i < data.length; ) {
          ensure(4);
          int n = Math.min(bb.remaining() / 4, data.length - i);
          bb.asFloatBuffer().put(data, i, n);
          bb.position(bb.position() + 4 * n);
          i += n;
        }
        break;
      case FLOAT16:
        for (int i = 0; i < data.length; i++) {
          float v = data[i];
          short h = Float16.toHalf(v);
          if ((h & 0x7fff) == 0x7c00 && Float.isFinite(v)) {
            throw new CtrModelException(
                "tensor " + t.name() + " value " + v + " at index " + i
                    + " overflows FLOAT16 (max " + Float16.MAX_VALUE + "); store it as FLOAT32");
          }
          ensure(2);
          bb.putShort(h);
        }
        break;
      case INT8_ROW_SCALED:
        float[] scales = Int8Rows.scales(t.name(), data, rows, rowLen);
        for (float s : scales) {
          ensure(4);
          bb.putFloat(s);
        }
        for (int r = 0; r < rows; r++) {
          float scale = scales[r];
          int base = r * rowLen;
          for (int j = 0; j < rowLen; j++) {
            ensure(1);
            bb.put(Int8Rows.quantize(data[base + j], scale));
          }
        }
        break;
      default:
        throw new AssertionError(dtype);
    }
    endRecord();
  }

  private void putString(String s, String what) throws IOException {
    if (s == null) {
      throw new CtrModelException(what + " must not be null");
    }
    ByteBuffer bytes;
    try {
      bytes = utf8.encode(CharBuffer.wrap(s));
    } catch (CharacterCodingException e) {
      // String.getBytes would silently write '?' for an unpaired surrogate and the file would
      // not round-trip
      throw new CtrModelException(what + " is not valid Unicode (unpaired surrogate): " + s, e);
    }
    int len = bytes.remaining();
    ensure(4);
    bb.putInt(len);
    if (len <= bb.remaining()) {
      bb.put(bytes);
    } else {
      flush();
      writeRaw(bytes.array(), bytes.arrayOffset() + bytes.position(), len);
    }
  }

  private void startRecord() throws IOException {
    flush();
    crc.reset();
  }

  private void endRecord() throws IOException {
    flush();
    ensure(4);
    bb.putInt((int) crc.getValue());
  }

  private void ensure(int n) throws IOException {
    if (bb.remaining() < n) {
      flush();
    }
  }

  private void flush() throws IOException {
    if (bb.position() > 0) {
      writeRaw(buf, 0, bb.position());
      bb.clear();
    }
  }

  private void writeRaw(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    Checksums.update(sha, b, off, len);
    Checksums.update(crc, b, off, len);
  }
}
