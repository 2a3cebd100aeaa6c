package io.ctrstreams.serving;

import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.schemas.DeltaValueEncoding;
import io.ctrstreams.schemas.TensorDeltaRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;

/**
 * Value codec of the model-deltas topic: a {@link ModelDelta} as the Avro single-object encoding
 * of {@link io.ctrstreams.schemas.ModelDelta}, indices as varint gaps and values as little-endian
 * binary32 or binary16 (exact: the values are already rounded by the chain's encoding), or under a
 * quantized encoding ({@code INT8 .. INT2}) as groups of integers with a bfloat16 scale each,
 * from which the decoder computes the same float products {@code q * s} the producer added.
 * Records written before the quantized encodings existed (the enum with FP32 and FP16 only) are
 * read through Avro's schema resolution.
 */
public final class DeltaRecords {
  /** The model-deltas value schema before the quantized encodings: only its enum differs. */
  static final Schema FIRST_SCHEMA = new Schema.Parser().parse(io.ctrstreams.schemas.ModelDelta.getClassSchema().toString()
      .replace("[\"FP32\",\"FP16\",\"INT8\",\"INT4\",\"INT3\",\"INT2\"]", "[\"FP32\",\"FP16\"]"));
  private static final BinaryMessageDecoder<io.ctrstreams.schemas.ModelDelta> DECODER;

  static {
    SchemaStore.Cache store = new SchemaStore.Cache();
    store.addSchema(FIRST_SCHEMA);
    DECODER = io.ctrstreams.schemas.ModelDelta.createDecoder(store);
  }

  private DeltaRecords() {}

  /** Encodes {@code d}. */
  public static byte[] encode(ModelDelta d) {
    List<TensorDeltaRecord> tensors = new ArrayList<>(d.tensors().size());
    for (TensorDelta t : d.tensors()) {
      if (d.encoding().quantized()) {
        tensors.add(QuantizedGroups.encode(t, d.encoding()));
        continue;
      }
      tensors.add(TensorDeltaRecord.newBuilder().setTensor(t.tensor()).setCount(t.indices().length)
          .setIndices(ByteBuffer.wrap(varintGaps(t.indices())))
          .setValues(ByteBuffer.wrap(values(t.values(), d.encoding()))).build());
    }
    io.ctrstreams.schemas.ModelDelta r = io.ctrstreams.schemas.ModelDelta.newBuilder()
        .setModel(d.model()).setBaseVersion(d.baseVersion()).setSequence(d.sequence())
        .setTrainerStep(d.trainerStep()).setExamplesTrained(d.examplesTrained()).setCreatedAtEpochMs(d.createdAtMs())
        .setResidualNorm(d.residualNorm()).setModelNorm(d.modelNorm()).setHashAfter(d.hashAfter())
        .setEncoding(DeltaValueEncoding.valueOf(d.encoding().name())).setTensors(tensors).build();
    try {
      ByteBuffer b = r.toByteBuffer();
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (IOException e) {
      throw new ServingException("cannot encode delta " + d.sequence() + " of " + d.model(), e);
    }
  }

  /**
   * Decodes a delta value.
   *
   * @throws ServingException naming what is wrong when the bytes are not a delta
   */
  public static ModelDelta decode(byte[] value) {
    io.ctrstreams.schemas.ModelDelta r;
    try {
      r = DECODER.decode(ByteBuffer.wrap(value));
    } catch (IOException | RuntimeException e) {
      throw new ServingException("not a model delta: " + e.getMessage(), e);
    }
    ValueEncoding enc = ValueEncoding.valueOf(r.getEncoding().name());
    List<TensorDelta> tensors = new ArrayList<>(r.getTensors().size());
    for (TensorDeltaRecord t : r.getTensors()) {
      if (enc.quantized()) {
        tensors.add(QuantizedGroups.decode(t, enc));
        continue;
      }
      int[] idx = indices(t.getIndices(), t.getCount(), t.getTensor());
      tensors.add(new TensorDelta(t.getTensor(), idx, floats(t.getValues(), enc, t.getTensor())));
    }
    return new ModelDelta(r.getModel(), r.getBaseVersion(), r.getSequence(), enc, r.getTrainerStep(),
        r.getExamplesTrained(), r.getCreatedAtEpochMs(), r.getResidualNorm(), r.getModelNorm(), r.getHashAfter(), tensors);
  }

  /** The first index and then the gaps, unsigned LEB128 each. */
  static byte[] varintGaps(int[] indices) {
    byte[] out = new byte[indices.length * 5];
    int p = 0;
    int prev = 0;
    for (int i = 0; i < indices.length; i++) {
      int v = i == 0 ? indices[0] : indices[i] - prev;
      prev = indices[i];
      while ((v & ~0x7f) != 0) {
        out[p++] = (byte) ((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      out[p++] = (byte) v;
    }
    return java.util.Arrays.copyOf(out, p);
  }

  static int[] indices(ByteBuffer b, int count, String tensor) {
    ByteBuffer in = b.duplicate();
    if (count < 0 || count > in.remaining()) {
      throw new ServingException("delta of tensor " + tensor + " claims " + count + " indices in " + in.remaining()
          + " bytes");
    }
    int[] idx = new int[count];
    long prev = 0;
    for (int i = 0; i < count; i++) {
      long v = 0;
      int shift = 0;
      while (true) {
        if (!in.hasRemaining() || shift > 28) {
          throw new ServingException("delta of tensor " + tensor + ": index " + i + " is not a varint");
        }
        byte x = in.get();
        v |= (long) (x & 0x7f) << shift;
        shift += 7;
        if (x >= 0) {
          break;
        }
      }
      long at = i == 0 ? v : prev + v;
      if (at > Integer.MAX_VALUE) {
        throw new ServingException("delta of tensor " + tensor + ": index " + at + " out of range");
      }
      idx[i] = (int) at;
      prev = at;
    }
    if (in.hasRemaining()) {
      throw new ServingException("delta of tensor " + tensor + ": " + in.remaining() + " bytes after " + count
          + " indices");
    }
    return idx;
  }

  private static byte[] values(float[] v, ValueEncoding enc) {
    ByteBuffer b = ByteBuffer.allocate(v.length * enc.bytesPerValue()).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      if (enc == ValueEncoding.FP32) {
        b.putFloat(x);
      } else {
        b.putShort(ValueEncoding.floatToHalf(x));
      }
    }
    return b.array();
  }

  private static float[] floats(ByteBuffer b, ValueEncoding enc, String tensor) {
    ByteBuffer in = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (in.remaining() % enc.bytesPerValue() != 0) {
      throw new ServingException("delta of tensor " + tensor + ": " + in.remaining() + " value bytes is not a multiple of "
          + enc.bytesPerValue());
    }
    float[] v = new float[in.remaining() / enc.bytesPerValue()];
    for (int i = 0; i < v.length; i++) {
      v[i] = enc == ValueEncoding.FP32 ? in.getFloat() : ValueEncoding.halfToFloat(in.getShort());
    }
    return v;
  }
}
