package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The model-deltas value codec: exact round trips, clear errors on bad bytes. */
class DeltaRecordsProperties {

  static ModelDelta random(long seed, ValueEncoding enc) {
    Random rnd = new Random(seed);
    List<TensorDelta> ts = new ArrayList<>();
    for (int t = rnd.nextInt(4); t >= 0; t--) {
      int n = rnd.nextInt(50);
      int unit = 1 + rnd.nextInt(3);
      int[] idx = new int[n];
      int at = rnd.nextInt(3);
      for (int i = 0; i < n; i++) {
        idx[i] = at;
        at += 1 + (rnd.nextBoolean() ? rnd.nextInt(3) : rnd.nextInt(1 << 20));
        if (at < 0) {
          idx = Arrays.copyOf(idx, i + 1);
          break;
        }
      }
      float[] v = new float[idx.length * unit];
      for (int i = 0; i < v.length; i++) {
        v[i] = enc.round((float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(6) - 4)));
      }
      ts.add(new TensorDelta("t" + t, idx, v));
    }
    return new ModelDelta("m", rnd.nextInt(100), 1 + rnd.nextInt(1000), enc, rnd.nextLong(), rnd.nextLong(),
        rnd.nextLong(), rnd.nextDouble(), rnd.nextDouble(), rnd.nextLong(), ts);
  }

  @Property(tries = 300)
  void shouldRoundTripEveryBit(@ForAll long seed, @ForAll boolean fp16) {
    ModelDelta d = random(seed, fp16 ? ValueEncoding.FP16 : ValueEncoding.FP32);
    ModelDelta back = DeltaRecords.decode(DeltaRecords.encode(d));
    assertThat(back).usingRecursiveComparison().ignoringFields("tensors").isEqualTo(d);
    assertThat(back.tensors()).hasSameSizeAs(d.tensors());
    for (int t = 0; t < d.tensors().size(); t++) {
      TensorDelta a = d.tensors().get(t);
      TensorDelta b = back.tensors().get(t);
      assertThat(b.tensor()).isEqualTo(a.tensor());
      assertThat(b.indices()).isEqualTo(a.indices());
      assertThat(bits(b.values())).isEqualTo(bits(a.values()));
    }
  }

  @Property(tries = 300)
  void truncatedOrAlteredBytesShouldFailAsServingExceptionOrDecodeToADelta(@ForAll long seed) {
    byte[] b = DeltaRecords.encode(random(seed, ValueEncoding.FP32));
    Random rnd = new Random(seed);
    byte[] bad = rnd.nextBoolean() ? Arrays.copyOf(b, rnd.nextInt(b.length)) : b.clone();
    if (bad.length == b.length) {
      bad[rnd.nextInt(bad.length)] ^= (byte) (1 + rnd.nextInt(255));
    }
    try {
      DeltaRecords.decode(bad); // an altered value byte still decodes: the chain's hash catches it
    } catch (ServingException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @org.junit.jupiter.api.Test
  void indicesShouldCostAboutOneByteEachWhenDense() {
    int[] idx = new int[1000];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = 5000 + 3 * i;
    }
    assertThat(DeltaRecords.varintGaps(idx)).hasSize(2 + 999);
    assertThatThrownBy(() -> DeltaRecords.decode(new byte[] {1, 2, 3})).isInstanceOf(ServingException.class)
        .hasMessageStartingWith("not a model delta");
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }

  /** A delta as a quantized chain makes it: whole rows of width > 1, or whole aligned blocks of elements. */
  static ModelDelta randomQuantized(long seed, ValueEncoding enc) {
    Random rnd = new Random(seed);
    List<TensorDelta> ts = new ArrayList<>();
    int block = ValueEncoding.BLOCK;
    for (int t = rnd.nextInt(4); t >= 0; t--) {
      boolean rows = rnd.nextBoolean();
      int unit = rows ? 2 + rnd.nextInt(16) : 1;
      int groups = 1 + rnd.nextInt(20);
      List<Integer> idx = new ArrayList<>();
      List<Integer> lengths = new ArrayList<>();
      int at = rnd.nextInt(3);
      boolean dense = rnd.nextBoolean(); // a fifth of the rows or so: the bitmap form
      for (int g = 0; g < groups; g++) {
        idx.add(at);
        lengths.add(rows ? unit : (g == groups - 1 ? 1 + rnd.nextInt(block) : block));
        at += 1 + (dense ? rnd.nextInt(8) : rnd.nextBoolean() ? rnd.nextInt(3) : rnd.nextInt(1 << 12));
      }
      int n = lengths.stream().mapToInt(Integer::intValue).sum();
      float[] v = new float[n];
      int[] ix = new int[rows ? groups : n];
      float[] r = new float[block + 16];
      int o = 0;
      for (int g = 0; g < groups; g++) {
        int len = lengths.get(g);
        double scale = Math.pow(10, rnd.nextInt(8) - 6);
        for (int i = 0; i < len; i++) {
          r[i] = rnd.nextInt(5) == 0 ? 0f : (float) (rnd.nextGaussian() * scale);
        }
        enc.quantize(r, 0, len, v, o);
        if (rows) {
          ix[g] = idx.get(g);
        } else {
          for (int i = 0; i < len; i++) {
            ix[o + i] = idx.get(g) * block + i;
          }
        }
        o += len;
      }
      ts.add(new TensorDelta("t" + t, ix, v));
    }
    return new ModelDelta("m", rnd.nextInt(100), 1 + rnd.nextInt(1000), enc, rnd.nextLong(), rnd.nextLong(),
        rnd.nextLong(), rnd.nextDouble(), rnd.nextDouble(), rnd.nextLong(), ts);
  }

  @Property(tries = 300)
  void quantizedDeltasShouldRoundTripEveryBit(@ForAll long seed, @ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    ModelDelta d = randomQuantized(seed, enc);
    byte[] wire = DeltaRecords.encode(d);
    ModelDelta back = DeltaRecords.decode(wire);
    assertThat(back).usingRecursiveComparison().ignoringFields("tensors").isEqualTo(d);
    long groupBytes = 0;
    for (int t = 0; t < d.tensors().size(); t++) {
      TensorDelta a = d.tensors().get(t);
      TensorDelta b = back.tensors().get(t);
      assertThat(b.indices()).isEqualTo(a.indices());
      assertThat(bits(b.values())).isEqualTo(bits(a.values()));
      int unit = a.values().length / a.indices().length;
      int groups = unit > 1 ? a.indices().length : (a.values().length + ValueEncoding.BLOCK - 1) / ValueEncoding.BLOCK;
      groupBytes += 2L * groups + ((long) a.values().length * enc.bits()) / 8;
    }
    // the values cost b bits each plus a 2-byte scale per group (and a byte of padding at most)
    assertThat((long) wire.length).isGreaterThan(groupBytes);
  }

  @org.junit.jupiter.api.Test
  void aBlockOf32ThreeBitValuesShouldTakeFourteenBytes() throws Exception {
    float[] r = new float[32];
    for (int i = 0; i < 32; i++) {
      r[i] = (i - 16) * 0.01f;
    }
    float[] v = new float[32];
    ValueEncoding.INT3.quantize(r, 0, 32, v, 0);
    int[] idx = new int[32];
    for (int i = 0; i < 32; i++) {
      idx[i] = 64 + i;
    }
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0, List.of(new TensorDelta("w", idx, v)));
    io.ctrstreams.schemas.ModelDelta r0 = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(java.nio.ByteBuffer.wrap(DeltaRecords.encode(d)));
    // header: unit 0 (blocks), last block 32, index form; then scale (2) + 32 x 3 bits (12)
    assertThat(r0.getTensors().get(0).getValues().remaining()).isEqualTo(3 + 14);
    assertThat(r0.getTensors().get(0).getCount()).isEqualTo(1);
    assertThat(bits(DeltaRecords.decode(DeltaRecords.encode(d)).tensors().get(0).values())).isEqualTo(bits(v));
  }

  @org.junit.jupiter.api.Test
  void everyFifthRowShouldCostABitOfIndex() throws Exception {
    int rows = 1000;
    int[] idx = new int[rows / 5];
    float[] v = new float[idx.length * 4];
    float[] r = {0.1f, -0.2f, 0.05f, 0.3f};
    for (int j = 0; j < idx.length; j++) {
      idx[j] = 5 * j + (j % 3);
      ValueEncoding.INT3.quantize(r, 0, 4, v, j * 4);
    }
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("emb/f/table", idx, v)));
    byte[] wire = DeltaRecords.encode(d);
    io.ctrstreams.schemas.ModelDelta r0 = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(java.nio.ByteBuffer.wrap(wire));
    assertThat(r0.getTensors().get(0).getIndices().remaining()).isEqualTo((idx[idx.length - 1] + 8) / 8); // not 200 gaps
    ModelDelta back = DeltaRecords.decode(wire);
    assertThat(back.tensors().get(0).indices()).isEqualTo(idx);
    assertThat(bits(back.tensors().get(0).values())).isEqualTo(bits(v));
  }

  @org.junit.jupiter.api.Test
  void valuesAChainDidNotQuantizeShouldBeRefusedByName() {
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT4, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("emb/f/table", new int[] {3}, new float[] {0.1f, 0.2f, 0.3f})));
    assertThatThrownBy(() -> DeltaRecords.encode(d)).isInstanceOf(ServingException.class)
        .hasMessageContaining("emb/f/table").hasMessageContaining("INT4");
    int[] gap = {0, 1, 2, 40}; // not whole blocks
    ModelDelta e = new ModelDelta("m", 1, 1, ValueEncoding.INT4, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("w", gap, new float[4])));
    assertThatThrownBy(() -> DeltaRecords.encode(e)).isInstanceOf(ServingException.class)
        .hasMessageContaining("whole blocks");
  }

  @Property(tries = 300)
  void alteredQuantizedBytesShouldFailAsServingExceptionOrDecodeToADelta(@ForAll long seed, @ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    byte[] b = DeltaRecords.encode(randomQuantized(seed, enc));
    decodeTruncatedOrFlipped(b, seed);
  }

  /** Records written before the quantized encodings (the enum with FP32 and FP16 only) still decode. */
  @org.junit.jupiter.api.Test
  void recordsOfTheFirstSchemaShouldStillDecode() throws Exception {
    ModelDelta d = random(11, ValueEncoding.FP16);
    io.ctrstreams.schemas.ModelDelta current = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(
        java.nio.ByteBuffer.wrap(DeltaRecords.encode(d)));
    org.apache.avro.generic.GenericData generic = org.apache.avro.generic.GenericData.get();
    Object old = generic.deepCopy(DeltaRecords.FIRST_SCHEMA, current);
    byte[] oldBytes = new org.apache.avro.message.BinaryMessageEncoder<Object>(generic, DeltaRecords.FIRST_SCHEMA)
        .encode(old).array();
    assertThat(org.apache.avro.SchemaNormalization.parsingFingerprint64(DeltaRecords.FIRST_SCHEMA))
        .isNotEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(io.ctrstreams.schemas.ModelDelta.getClassSchema()));
    ModelDelta back = DeltaRecords.decode(oldBytes);
    assertThat(back.encoding()).isEqualTo(ValueEncoding.FP16);
    assertThat(back).usingRecursiveComparison().ignoringFields("tensors").isEqualTo(d);
    for (int t = 0; t < d.tensors().size(); t++) {
      assertThat(bits(back.tensors().get(t).values())).isEqualTo(bits(d.tensors().get(t).values()));
    }
  }

  /** A quantized chain through the wire: the consumer holds the producer's weights bit for bit. */
  @Property(tries = 40)
  void aQuantizedChainThroughTheWireShouldStayBitIdentical(@ForAll long seed, @ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(200);
    int width = 1 + rnd.nextInt(8);
    float[] table = new float[rows * width];
    float[] weight = new float[1 + rnd.nextInt(300)];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) rnd.nextGaussian() * 0.1f;
    }
    io.ctrstreams.model.format.ModelFile x = new io.ctrstreams.model.format.ModelFile("m", 1, "{}", java.util.Map.of(),
        List.of(new io.ctrstreams.model.Tensor("emb/f/table", new int[] {rows, width}, table),
            new io.ctrstreams.model.Tensor("mlp/0/weight", new int[] {weight.length}, weight)), java.util.Map.of());
    io.ctrstreams.model.delta.DeltaEncoder producer = new io.ctrstreams.model.delta.DeltaEncoder("m", 3, x,
        0.05 + rnd.nextDouble() * 0.5, enc, io.ctrstreams.model.delta.DeltaEncoder.Scope.MODEL);
    io.ctrstreams.model.delta.DeltaApplier consumer = new io.ctrstreams.model.delta.DeltaApplier();
    consumer.keyframe(3, x);
    for (int s = 0; s < 20; s++) {
      List<io.ctrstreams.model.Tensor> next = new ArrayList<>();
      for (io.ctrstreams.model.Tensor t : x.tensors()) {
        float[] v = t.data().clone();
        for (int i = 0; i < v.length; i++) {
          if (rnd.nextInt(4) == 0) {
            v[i] += (float) rnd.nextGaussian() * 0.01f;
          }
        }
        next.add(new io.ctrstreams.model.Tensor(t.name(), t.shape(), v));
      }
      x = new io.ctrstreams.model.format.ModelFile("m", 1, "{}", java.util.Map.of(), next, java.util.Map.of());
      ModelDelta d = producer.next(x, s, s, s);
      assertThat(consumer.apply(DeltaRecords.decode(DeltaRecords.encode(d))))
          .isEqualTo(io.ctrstreams.model.delta.DeltaApplier.Outcome.APPLIED);
    }
    assertThat(consumer.state().hash()).isEqualTo(producer.state().hash());
  }

  /** A chain with log-coded scales and Fisher-ranked units, {@code steps} deltas through the wire. */
  static List<ModelDelta> log4Chain(long seed, ValueEncoding enc, int steps, boolean[] bitIdentical) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(200);
    int width = 1 + rnd.nextInt(16);
    float[] table = new float[rows * width];
    float[] weight = new float[1 + rnd.nextInt(300)];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) rnd.nextGaussian() * 0.1f;
    }
    io.ctrstreams.model.format.ModelFile x = new io.ctrstreams.model.format.ModelFile("m", 1, "{}", java.util.Map.of(),
        List.of(new io.ctrstreams.model.Tensor("emb/f/table", new int[] {rows, width}, table),
            new io.ctrstreams.model.Tensor("mlp/0/weight", new int[] {weight.length}, weight)), java.util.Map.of());
    io.ctrstreams.model.delta.DeltaEncoder producer = new io.ctrstreams.model.delta.DeltaEncoder("m", 3, x,
        0.05 + rnd.nextDouble() * 0.5, enc, rnd.nextBoolean() ? io.ctrstreams.model.delta.DeltaEncoder.Scope.MODEL
            : io.ctrstreams.model.delta.DeltaEncoder.Scope.TENSOR, io.ctrstreams.model.delta.GroupScale.LOG4,
        io.ctrstreams.model.delta.DeltaEncoder.Selection.FISHER);
    io.ctrstreams.model.delta.DeltaApplier consumer = new io.ctrstreams.model.delta.DeltaApplier();
    consumer.keyframe(3, x);
    List<ModelDelta> out = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      List<io.ctrstreams.model.Tensor> next = new ArrayList<>();
      float[][] fisher = new float[2][];
      for (io.ctrstreams.model.Tensor t : x.tensors()) {
        float[] v = t.data().clone();
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
          if (rnd.nextInt(4) == 0) {
            v[i] += (float) (rnd.nextGaussian() * Math.pow(10, -1 - rnd.nextInt(6)));
          }
          f[i] = rnd.nextInt(6) == 0 ? 0 : (float) rnd.nextDouble();
        }
        fisher[next.size()] = f;
        next.add(new io.ctrstreams.model.Tensor(t.name(), t.shape(), v));
      }
      x = new io.ctrstreams.model.format.ModelFile("m", 1, "{}", java.util.Map.of(), next, java.util.Map.of());
      ModelDelta d = producer.next(x, fisher, s, s, s);
      out.add(d);
      assertThat(consumer.apply(DeltaRecords.decode(DeltaRecords.encode(d))))
          .isEqualTo(io.ctrstreams.model.delta.DeltaApplier.Outcome.APPLIED);
    }
    bitIdentical[0] = consumer.state().hash() == producer.state().hash();
    return out;
  }

  /** Log-coded scales through the wire: every bit of every value and code, and the consumer bit-identical. */
  @Property(tries = 60)
  void log4ChainsThroughTheWireShouldStayBitIdentical(@ForAll long seed, @ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    boolean[] same = new boolean[1];
    for (ModelDelta d : log4Chain(seed, enc, 15, same)) {
      ModelDelta back = DeltaRecords.decode(DeltaRecords.encode(d));
      for (int t = 0; t < d.tensors().size(); t++) {
        TensorDelta a = d.tensors().get(t);
        TensorDelta b = back.tensors().get(t);
        assertThat(b.indices()).isEqualTo(a.indices());
        assertThat(bits(b.values())).isEqualTo(bits(a.values()));
        assertThat(b.scales().max()).isEqualTo(a.scales().max());
        assertThat(b.scales().codes()).isEqualTo(a.scales().codes());
      }
    }
    assertThat(same[0]).isTrue();
  }

  @Property(tries = 300)
  void alteredLog4BytesShouldFailAsServingExceptionOrDecodeToADelta(@ForAll long seed, @ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    List<ModelDelta> chain = log4Chain(seed, enc, 2, new boolean[1]);
    byte[] b = DeltaRecords.encode(chain.get(chain.size() - 1));
    decodeTruncatedOrFlipped(b, seed);
  }

  /**
   * 8-wide rows of 3-bit integers: 24 bits of values and a 4-bit code, 3.5 bytes a row instead of
   * 5, or fewer when the integers' Huffman code is shorter.
   */
  @org.junit.jupiter.api.Test
  void anEightWideThreeBitRowShouldCostThreeAndAHalfBytesWithLog4Scales() throws Exception {
    int rows = 100;
    int[] idx = new int[rows];
    float[] v = new float[rows * 8];
    byte[] codes = new byte[rows];
    float[] r = {0.1f, -0.2f, 0.05f, 0.3f, 0.01f, -0.03f, 0.2f, 0.02f};
    float max = ValueEncoding.codedMaximum(0.3f / 3);
    for (int j = 0; j < rows; j++) {
      idx[j] = 2 * j;
      float[] rj = r.clone();
      for (int c = 0; c < 8; c++) {
        rj[c] *= (float) Math.pow(0.9, j % 20);
      }
      codes[j] = (byte) ValueEncoding.INT3.quantizeCoded(rj, 0, 8, v, j * 8, max);
    }
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("emb/f/table", idx, v, new TensorDelta.CodedScales(max, codes))));
    byte[] wire = DeltaRecords.encode(d);
    io.ctrstreams.schemas.ModelDelta r0 = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(java.nio.ByteBuffer.wrap(wire));
    // varint unit 8, varint form 3 (bitmap, log-coded) or 7 (and Huffman), 2 bytes of maximum, 100 x 28 bits at most
    assertThat(r0.getTensors().get(0).getValues().remaining()).isLessThanOrEqualTo(1 + 1 + 2 + rows * 28 / 8);
    ModelDelta back = DeltaRecords.decode(wire);
    assertThat(back.tensors().get(0).indices()).isEqualTo(idx);
    assertThat(bits(back.tensors().get(0).values())).isEqualTo(bits(v));
    assertThat(back.tensors().get(0).scales().codes()).isEqualTo(codes);
  }

  @org.junit.jupiter.api.Test
  void log4ValuesOffTheirCodedScaleOrAnUnknownFormShouldBeRefusedByName() throws Exception {
    float max = ValueEncoding.codedMaximum(0.1f);
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0, List.of(new TensorDelta("emb/f/table",
        new int[] {3}, new float[] {0.1f, 0.2f}, new TensorDelta.CodedScales(max, new byte[] {0}))));
    assertThatThrownBy(() -> DeltaRecords.encode(d)).isInstanceOf(ServingException.class)
        .hasMessageContaining("emb/f/table").hasMessageContaining("coded scale");
    ModelDelta e = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0, List.of(new TensorDelta("emb/f/table",
        new int[] {3}, new float[] {0, 0}, new TensorDelta.CodedScales(max, new byte[] {16}))));
    assertThatThrownBy(() -> DeltaRecords.encode(e)).isInstanceOf(ServingException.class).hasMessageContaining("code 16");
    // a record whose form has a bit this decoder does not know
    float[] v = new float[2];
    byte[] codes = {(byte) ValueEncoding.INT3.quantizeCoded(new float[] {0.1f, 0.05f}, 0, 2, v, 0, max)};
    byte[] wire = DeltaRecords.encode(new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("emb/f/table", new int[] {3}, v, new TensorDelta.CodedScales(max, codes)))));
    io.ctrstreams.schemas.ModelDelta r = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(java.nio.ByteBuffer.wrap(wire));
    java.nio.ByteBuffer values = r.getTensors().get(0).getValues();
    byte[] vb = new byte[values.remaining()];
    values.duplicate().get(vb);
    assertThat(vb[1]).isEqualTo((byte) 2); // unit 2, then the form: gap indices, log-coded scales
    vb[1] = 10;
    r.getTensors().get(0).setValues(java.nio.ByteBuffer.wrap(vb));
    byte[] newer;
    try {
      java.nio.ByteBuffer bb = r.toByteBuffer();
      newer = new byte[bb.remaining()];
      bb.get(newer);
    } catch (java.io.IOException ex) {
      throw new AssertionError(ex);
    }
    assertThatThrownBy(() -> DeltaRecords.decode(newer)).isInstanceOf(ServingException.class)
        .hasMessageContaining("emb/f/table").hasMessageContaining("unknown form 10");
  }

  /** Integers that are mostly 0 travel as Huffman code words: fewer bytes, the same bits back. */
  @org.junit.jupiter.api.Test
  void peakedIntegersShouldTravelHuffmanCodedAndComeBackBitForBit() throws Exception {
    int rows = 200;
    int[] idx = new int[rows];
    float[] v = new float[rows * 8];
    byte[] codes = new byte[rows];
    float max = ValueEncoding.codedMaximum(0.3f / 3);
    Random rnd = new Random(5);
    for (int j = 0; j < rows; j++) {
      idx[j] = j;
      float[] r = new float[8];
      r[rnd.nextInt(8)] = 0.3f;
      for (int c = 0; c < 8; c++) {
        r[c] += (float) (rnd.nextGaussian() * 0.02);
      }
      codes[j] = (byte) ValueEncoding.INT3.quantizeCoded(r, 0, 8, v, j * 8, max);
    }
    ModelDelta d = new ModelDelta("m", 1, 1, ValueEncoding.INT3, 0, 0, 0, 0, 0, 0,
        List.of(new TensorDelta("emb/f/table", idx, v, new TensorDelta.CodedScales(max, codes))));
    byte[] wire = DeltaRecords.encode(d);
    io.ctrstreams.schemas.ModelDelta r0 = io.ctrstreams.schemas.ModelDelta.fromByteBuffer(java.nio.ByteBuffer.wrap(wire));
    java.nio.ByteBuffer values = r0.getTensors().get(0).getValues();
    assertThat(values.get(values.position() + 1) & 4).as("form bit 2: Huffman").isEqualTo(4);
    assertThat(values.remaining()).isLessThan(1 + 1 + 2 + rows * 28 / 8 - rows / 2);
    ModelDelta back = DeltaRecords.decode(wire);
    assertThat(back.tensors().get(0).indices()).isEqualTo(idx);
    assertThat(bits(back.tensors().get(0).values())).isEqualTo(bits(v));
    assertThat(back.tensors().get(0).scales().codes()).isEqualTo(codes);
  }

  /** The integer code: a prefix code for any counts, and every symbol read back as written. */
  @Property(tries = 300)
  void integerCodesShouldBePrefixCodesThatRoundTrip(@ForAll long seed) {
    Random rnd = new Random(seed);
    int n = 1 + rnd.nextInt(IntegerCode.MAX_SYMBOLS);
    long[] counts = new long[n];
    int present = 0;
    for (int s = 0; s < n; s++) {
      counts[s] = rnd.nextInt(3) == 0 ? 0 : 1 + (long) Math.pow(10, 6 * rnd.nextDouble());
      present += counts[s] > 0 ? 1 : 0;
    }
    if (present == 0) {
      counts[rnd.nextInt(n)] = 1;
    }
    IntegerCode code = IntegerCode.of(counts);
    int[] lengths = new int[n];
    double kraft = 0;
    for (int s = 0; s < n; s++) {
      lengths[s] = code.length(s);
      assertThat(lengths[s] > 0).isEqualTo(counts[s] > 0);
      assertThat(lengths[s]).isBetween(0, 15);
      kraft += lengths[s] == 0 ? 0 : Math.pow(2, -lengths[s]);
    }
    assertThat(kraft).isLessThanOrEqualTo(1.0);
    IntegerCode read = IntegerCode.ofLengths(lengths, "t");
    int[] symbols = new int[1 + rnd.nextInt(500)];
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    IntegerCode.Bits.Writer w = new IntegerCode.Bits.Writer(out);
    for (int i = 0; i < symbols.length; i++) {
      do {
        symbols[i] = rnd.nextInt(n);
      } while (counts[symbols[i]] == 0);
      code.write(w, symbols[i]);
    }
    w.flush();
    IntegerCode.Bits.Reader r = new IntegerCode.Bits.Reader(java.nio.ByteBuffer.wrap(out.toByteArray()), "t");
    for (int symbol : symbols) {
      assertThat(read.read(r, "t")).isEqualTo(symbol);
    }
  }

  /** {@code b} cut short or with one byte flipped (by {@code seed}) decodes, or fails as a named ServingException. */
  private static void decodeTruncatedOrFlipped(byte[] b, long seed) {
    Random rnd = new Random(seed);
    byte[] bad = rnd.nextBoolean() ? Arrays.copyOf(b, rnd.nextInt(b.length)) : b.clone();
    if (bad.length == b.length) {
      bad[rnd.nextInt(bad.length)] ^= (byte) (1 + rnd.nextInt(255));
    }
    try {
      DeltaRecords.decode(bad);
    } catch (ServingException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
