package io.ctrstreams.serving;

import io.ctrstreams.schemas.AvroBinary;
import io.ctrstreams.schemas.ModelChunk;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.schemas.ModelPin;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.avro.SchemaNormalization;

/**
 * Value codec of the models topic: Avro single-object encoding of {@link ModelChunk},
 * {@link ModelManifest} and {@link ModelPin}.
 *
 * <p>Why Avro records rather than raw chunk bytes: the single-object header carries the schema
 * fingerprint, so a value written with another schema (or garbage) is detected before it is
 * buffered, and each chunk repeats model, version, index and chunk count so that an index out of
 * range is rejected as soon as the chunk arrives. The overhead is ~30 bytes per 900 KiB chunk.
 */
public final class ModelRecords {

  private static final long CHUNK_FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(ModelChunk.getClassSchema());

  private ModelRecords() {}

  /**
   * Encodes a chunk value: Avro single-object bytes, written directly into one exact-size array
   * (byte-identical to {@code chunk.toByteBuffer()}, property-tested). Avro's encoder grows its
   * buffer by doubling, to 1 MiB for a 900 KiB chunk (a humongous object for G1 with 2 MiB
   * regions, each one starting a concurrent GC cycle), then copies it out.
   */
  public static byte[] encode(ModelChunk chunk) {
    byte[] model = chunk.getModel().getBytes(StandardCharsets.UTF_8);
    ByteBuffer data = chunk.getData().duplicate();
    int n = data.remaining();
    long size = (long) AvroBinary.HEADER_BYTES + AvroBinary.varLongSize(model.length) + model.length
        + AvroBinary.varLongSize(chunk.getVersion()) + AvroBinary.varLongSize(chunk.getIndex())
        + AvroBinary.varLongSize(chunk.getChunkCount()) + AvroBinary.varLongSize(n) + n;
    if (size > Integer.MAX_VALUE - 8) {
      throw new ServingException("chunk " + chunk.getIndex() + " of " + chunk.getModel() + " v" + chunk.getVersion()
          + " has " + n + " bytes, too many for one record");
    }
    byte[] out = new byte[(int) size];
    int p = AvroBinary.writeHeader(out, CHUNK_FINGERPRINT);
    p = AvroBinary.writeVarLong(out, p, model.length);
    System.arraycopy(model, 0, out, p, model.length);
    p = AvroBinary.writeVarLong(out, p + model.length, chunk.getVersion());
    p = AvroBinary.writeVarLong(out, p, chunk.getIndex());
    p = AvroBinary.writeVarLong(out, p, chunk.getChunkCount());
    p = AvroBinary.writeVarLong(out, p, n);
    data.get(out, p, n);
    return out;
  }

  /** Encodes a manifest value. */
  public static byte[] encode(ModelManifest manifest) {
    try {
      return toArray(manifest.toByteBuffer());
    } catch (IOException e) {
      throw new ServingException(
          "cannot encode manifest of " + manifest.getModel() + " v" + manifest.getVersion(), e);
    }
  }

  /** Encodes a pin value. */
  public static byte[] encode(ModelPin pin) {
    try {
      return toArray(pin.toByteBuffer());
    } catch (IOException e) {
      throw new ServingException("cannot encode pin of " + pin.getModel(), e);
    }
  }

  /** Decodes a chunk value; throws {@link IOException} (or a runtime Avro error) on bad bytes. */
  public static ModelChunk decodeChunk(byte[] value) throws IOException {
    return ModelChunk.fromByteBuffer(ByteBuffer.wrap(value));
  }

  /** Decodes a manifest value. */
  public static ModelManifest decodeManifest(byte[] value) throws IOException {
    return ModelManifest.fromByteBuffer(ByteBuffer.wrap(value));
  }

  /** Decodes a pin value. */
  public static ModelPin decodePin(byte[] value) throws IOException {
    return ModelPin.fromByteBuffer(ByteBuffer.wrap(value));
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    return sha256Hex(List.of(bytes));
  }

  /** Lower-case hex SHA-256 of the concatenation of {@code parts}, without building it. */
  public static String sha256Hex(List<byte[]> parts) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java 17 runtime has SHA-256", e);
    }
    for (byte[] p : parts) {
      io.ctrstreams.model.format.Checksums.update(sha, p, 0, p.length);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  static byte[] toArray(ByteBuffer b) {
    if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
      return b.array();
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
