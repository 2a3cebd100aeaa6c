package io.ctrstreams.trainer.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The exchange record format: round trip, and every corruption rejected with a clear error. */
class ExchangeMessageProperties {

  /** A dense tensor of {@code d} values and a table of 5 rows of 3. */
  private static ParamLayout layout(int d) {
    return ParamLayout.builder().add("w", d, 1).add("t", 15, 3).build();
  }

  private static float[] sparse(long seed, int d, ValueEncoding enc) {
    Random r = new Random(seed);
    float[] v = new float[d + 15];
    for (int i = 0; i < v.length; i++) {
      if (r.nextInt(5) == 0) {
        v[i] = enc.round((float) r.nextGaussian());
      }
    }
    return v;
  }

  @Property(tries = 100)
  void shouldDecodeIntoAReusedBufferAsIntoAFreshOne(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int d,
      @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    float[] buffer = new float[d + 15];
    java.util.Arrays.fill(buffer, Float.NaN); // a previous round's leftovers must not survive
    for (int round = 0; round < 2; round++) {
      ExchangeMessage m = new ExchangeMessage(1, round, 0, 1, seed, enc, sparse(seed + round, d, enc));
      byte[] wire = m.encode(layout(d));
      ExchangeMessage into = ExchangeMessage.decode(wire, layout(d), buffer);
      assertThat(into.values()).isSameAs(buffer).containsExactly(ExchangeMessage.decode(wire, layout(d)).values());
      ExchangeMessage header = ExchangeMessage.decode(wire, layout(d), null);
      assertThat(header.values()).isNull();
      assertThat(header.round()).isEqualTo(round);
      assertThat(header.weightsHash()).isEqualTo(seed);
    }
    assertThatThrownBy(() -> ExchangeMessage.decode(new ExchangeMessage(1, 0, 0, 1, seed, enc, new float[d + 15])
        .encode(layout(d)), layout(d), new float[d])).isInstanceOf(TrainerException.class)
        .hasMessageContaining("decode buffer");
  }

  @Property(tries = 100)
  void shouldRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int d, @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    ExchangeMessage m = new ExchangeMessage(3, seed & 0xffff, 1, 2, seed, enc, sparse(seed, d, enc));
    byte[] wire = m.encode(layout(d));
    ExchangeMessage back = ExchangeMessage.decode(wire, layout(d));
    assertThat(back.values()).containsExactly(m.values());
    assertThat(back.weightsHash()).isEqualTo(seed);
    assertThat(back.epoch()).isEqualTo(3);
    assertThat(back.slot()).isEqualTo(1);
    // a table row with any non-zero value travels whole: 4-byte unit number + 3 values
    int units = 0;
    int values = 0;
    for (int i = 0; i < d; i++) {
      if (m.values()[i] != 0f) {
        units++;
        values++;
      }
    }
    for (int row = 0; row < 5; row++) {
      boolean any = false;
      for (int c = 0; c < 3; c++) {
        any |= m.values()[d + row * 3 + c] != 0f;
      }
      if (any) {
        units++;
        values += 3;
      }
    }
    assertThat(wire).hasSize(47 + 4 * units + values * enc.bytesPerValue());
  }

  @Property(tries = 200)
  void shouldRejectAnyFlippedByteOrTruncation(@ForAll long seed, @ForAll @IntRange(min = 1, max = 100) int d,
      @ForAll @IntRange(min = 0, max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, seed, ValueEncoding.FP32, sparse(seed, d, ValueEncoding.FP32))
        .encode(layout(d));
    byte[] bad = b.clone();
    bad[where % bad.length] ^= (byte) flip;
    assertThatThrownBy(() -> ExchangeMessage.decode(bad, layout(d))).isInstanceOf(TrainerException.class);
    byte[] cut = java.util.Arrays.copyOf(b, where % b.length);
    assertThatThrownBy(() -> ExchangeMessage.decode(cut, layout(d))).isInstanceOf(TrainerException.class);
  }

  /**
   * A message of a {@link TopKCompressor} whose dense tensors go whole in int8 (two dense tensors
   * of {@code d} and 7 values around a table): C(v) of random values, with the compressor's masks.
   */
  private static ExchangeMessage int8Message(long seed, int d, boolean masks, ValueEncoding enc) {
    ParamLayout layout = int8Layout(d);
    Random r = new Random(seed);
    float[] v = new float[layout.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextInt(6) == 0 ? 0f : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
    }
    if (d > 40) {
      java.util.Arrays.fill(v, 0, 32, 0f); // an all-zero block: scale 0
    }
    float[] out = new float[layout.size()];
    new TopKCompressor(layout, 0.3, 1, enc, ValueEncoding.INT8).compress(v, out);
    return new ExchangeMessage(2, seed & 0xff, 1, 3, seed, enc, out, masks ? mask(r, layout, 0.5) : null, true);
  }

  private static ParamLayout int8Layout(int d) {
    return ParamLayout.builder().add("w1", d, 1).add("t", 20, 4).add("w2", 7, 1).build();
  }

  /**
   * Version 3: the dense tensors' int8 blocks and the tables' units round-trip bit for bit (with
   * and without masks), the record is the header, a flags byte, {@code units + 2 ceil(units / 32)}
   * bytes per dense tensor and the tables' units, and values that are not int8 blocks are refused
   * by the encoder, naming the tensor.
   */
  @Property(tries = 200)
  void shouldRoundTripDenseTensorsWholeInInt8(@ForAll long seed, @ForAll @IntRange(min = 1, max = 120) int d,
      @ForAll boolean masks, @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    ExchangeMessage m = int8Message(seed, d, masks, enc);
    ParamLayout layout = int8Layout(d);
    byte[] wire = m.encode(layout);
    float[] into = new float[layout.size()];
    java.util.Arrays.fill(into, Float.NaN);
    ExchangeMessage back = ExchangeMessage.decode(wire, layout, into, new boolean[layout.units()]);
    assertThat(back.denseInt8()).isTrue();
    for (int i = 0; i < into.length; i++) {
      assertThat(Float.floatToRawIntBits(into[i])).as("value " + i).isEqualTo(Float.floatToRawIntBits(m.values()[i]));
    }
    if (masks) {
      assertThat(back.touched()).containsExactly(m.touched());
    } else {
      assertThat(back.touched()).isNull();
    }
    assertThat(java.nio.ByteBuffer.wrap(wire).getShort(4)).isEqualTo((short) 3);
    int rows = 0;
    for (int row = 0; row < 5; row++) {
      boolean any = false;
      for (int c = 0; c < 4; c++) {
        any |= m.values()[d + row * 4 + c] != 0f;
      }
      rows += any ? 1 : 0;
    }
    long expected = ExchangeMessage.OVERHEAD + 1 + ExchangeMessage.wholeInt8Bytes(d) + ExchangeMessage.wholeInt8Bytes(7)
        + rows * (4L + 4L * enc.bytesPerValue()) + (masks ? RowMasks.size(layout, m.touched()) : 0);
    assertThat((long) wire.length).isEqualTo(expected);
    float[] notInt8 = m.values().clone();
    notInt8[0] = notInt8[0] == 0.3f ? 0.7f : 0.3f; // off the block's grid (or a scale that is not a bfloat16)
    assertThatThrownBy(() -> new ExchangeMessage(2, 0, 1, 3, seed, enc, notInt8, null, true).encode(layout))
        .isInstanceOf(TrainerException.class).hasMessageContaining("dense tensor w1");
  }

  /** Version 3: any flipped byte or truncation is rejected, also when a recomputed checksum hides it from the CRC. */
  @Property(tries = 300)
  void shouldRejectCorruptInt8Sections(@ForAll long seed, @ForAll @IntRange(min = 1, max = 80) int d,
      @ForAll @IntRange(min = 0, max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int flip,
      @ForAll boolean masks) {
    ParamLayout layout = int8Layout(d);
    byte[] b = int8Message(seed, d, masks, ValueEncoding.FP16).encode(layout);
    byte[] bad = b.clone();
    bad[where % bad.length] ^= (byte) flip;
    assertThatThrownBy(() -> ExchangeMessage.decode(bad, layout)).isInstanceOf(TrainerException.class);
    byte[] cut = java.util.Arrays.copyOf(b, where % b.length);
    assertThatThrownBy(() -> ExchangeMessage.decode(cut, layout)).isInstanceOf(TrainerException.class);
    // behind a valid checksum: refused by a structural check, or decoded into finite values
    int at = 43 + 1 + (where % (int) (ExchangeMessage.wholeInt8Bytes(d) + ExchangeMessage.wholeInt8Bytes(7)));
    byte[] forged = b.clone();
    forged[at] ^= (byte) flip;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(forged, 0, forged.length - 4);
    java.nio.ByteBuffer.wrap(forged).putInt(forged.length - 4, (int) crc.getValue());
    try {
      float[] v = ExchangeMessage.decode(forged, layout, new float[layout.size()], new boolean[layout.units()])
          .values();
      for (float x : v) {
        assertThat(Float.isFinite(x)).isTrue();
      }
    } catch (TrainerException expected) {
      assertThat(expected.getMessage()).contains("exchange message");
    }
  }

  /** A dense tensor of {@code d}, a table of {@code rows} rows of 2 and one of 3 rows of 4. */
  private static ParamLayout tables(int d, int rows) {
    return ParamLayout.builder().add("w", d, 1).add("t1", 2 * rows, 2).add("t2", 12, 4).build();
  }

  /** A mask with each table row touched with probability {@code p} (dense units always), as a worker's. */
  private static boolean[] mask(Random r, ParamLayout layout, double p) {
    boolean[] m = new boolean[layout.units()];
    for (int t = 0; t < layout.segments().size(); t++) {
      ParamLayout.Segment s = layout.segments().get(t);
      for (int u = 0; u < s.units(); u++) {
        m[layout.firstUnit(t) + u] = s.unit() == 1 || r.nextDouble() < p;
      }
    }
    return m;
  }

  private static float[] values(Random r, ParamLayout layout, ValueEncoding enc) {
    float[] v = new float[layout.size()];
    for (int i = 0; i < v.length; i++) {
      if (r.nextInt(4) == 0) {
        v[i] = enc.round((float) r.nextGaussian());
      }
    }
    return v;
  }

  /**
   * Masks round-trip in either form (sparse masks as varint gaps, dense ones as a bitmap), the
   * wire size is the header plus what the worker accounts ({@link RowMasks#size}), and a decoded
   * buffer reused from a previous message keeps nothing of it.
   */
  @Property(tries = 200)
  void shouldRoundTripTheRowMasks(@ForAll long seed, @ForAll @IntRange(min = 1, max = 50) int d,
      @ForAll @IntRange(min = 1, max = 3000) int rows, @ForAll @IntRange(min = 0, max = 100) int percent,
      @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    ParamLayout layout = tables(d, rows);
    Random r = new Random(seed);
    float[] into = new float[layout.size()];
    boolean[] masksInto = new boolean[layout.units()];
    java.util.Arrays.fill(masksInto, true);
    for (int k = 0; k < 2; k++) {
      boolean[] m = mask(r, layout, percent / 100.0);
      float[] v = values(r, layout, enc);
      ExchangeMessage msg = new ExchangeMessage(2, k, 1, 3, seed, enc, v, m);
      byte[] wire = msg.encode(layout);
      byte[] plain = new ExchangeMessage(2, k, 1, 3, seed, enc, v).encode(layout);
      assertThat((long) wire.length).isEqualTo(plain.length + RowMasks.size(layout, m));
      ExchangeMessage back = ExchangeMessage.decode(wire, layout, into, masksInto);
      assertThat(back.touched()).isSameAs(masksInto).containsExactly(m);
      assertThat(back.values()).containsExactly(v);
      assertThat(ExchangeMessage.decode(plain, layout).touched()).as("version 1 has no masks").isNull();
      assertThat(ExchangeMessage.decode(wire, layout, null).touched()).isNull();
      // either form is at most the bitmap plus a 3-byte header per table
      assertThat(RowMasks.size(layout, m)).isLessThanOrEqualTo((rows + 7) / 8 + 3 + 1 + 1);
    }
  }

  /**
   * Bad input of any kind gives a {@link TrainerException} and nothing else: a flipped byte
   * anywhere (also with the checksum recomputed, so the structural checks of the masks, units and
   * sizes must catch it or the message must still decode) and any truncation.
   */
  @Property(tries = 300)
  void shouldRejectCorruptOrTruncatedMasksWithAClearError(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 20) int d, @ForAll @IntRange(min = 1, max = 200) int rows,
      @ForAll @IntRange(min = 0, max = 100) int percent, @ForAll @IntRange(min = 0, max = 100_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int flip) {
    ParamLayout layout = tables(d, rows);
    Random r = new Random(seed);
    byte[] wire = new ExchangeMessage(1, 2, 0, 2, seed, ValueEncoding.FP16, values(r, layout, ValueEncoding.FP16),
        mask(r, layout, percent / 100.0)).encode(layout);
    byte[] bad = wire.clone();
    bad[where % bad.length] ^= (byte) flip;
    assertThatThrownBy(() -> ExchangeMessage.decode(bad, layout)).isInstanceOf(TrainerException.class)
        .hasMessageContaining("checksum");
    byte[] cut = java.util.Arrays.copyOf(wire, where % wire.length);
    assertThatThrownBy(() -> ExchangeMessage.decode(cut, layout)).isInstanceOf(TrainerException.class);
    // the same flip behind a valid checksum: rejected with a TrainerException, or a well-formed message
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bad, 0, bad.length - 4);
    java.nio.ByteBuffer.wrap(bad).putInt(bad.length - 4, (int) crc.getValue());
    try {
      ExchangeMessage m = ExchangeMessage.decode(bad, layout);
      assertThat(m.values()).hasSize(layout.size());
    } catch (TrainerException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @org.junit.jupiter.api.Test
  void shouldNameTheTableOfABadMask() {
    ParamLayout layout = tables(2, 10);
    boolean[] m = new boolean[layout.units()];
    m[0] = m[1] = true;
    m[2 + 9] = true; // last row of t1: the list form, gap 9
    byte[] wire = new ExchangeMessage(1, 0, 0, 1, 7, ValueEncoding.FP32, new float[layout.size()], m).encode(layout);
    // masks at the end: t1 = header (1 touched, list) + gap 9, t2 = header (0); make the gap 10: row 10 of 10
    int at = wire.length - 4 - 2;
    assertThat(wire[at]).isEqualTo((byte) 9);
    wire[at] = 10;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(wire, 0, wire.length - 4);
    java.nio.ByteBuffer.wrap(wire).putInt(wire.length - 4, (int) crc.getValue());
    assertThatThrownBy(() -> ExchangeMessage.decode(wire, layout)).isInstanceOf(TrainerException.class)
        .hasMessageContaining("table t1").hasMessageContaining("row 10 outside [0, 10)");
    // a masked message decoded into a values buffer without a mask buffer
    byte[] ok = new ExchangeMessage(1, 0, 0, 1, 7, ValueEncoding.FP32, new float[layout.size()], m).encode(layout);
    assertThatThrownBy(() -> ExchangeMessage.decode(ok, layout, new float[layout.size()], null))
        .isInstanceOf(TrainerException.class).hasMessageContaining("mask buffer");
  }

  @Property(tries = 20)
  void shouldRejectAnotherModelDimension(@ForAll @IntRange(min = 1, max = 100) int d) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, 7, ValueEncoding.FP16, new float[d + 15]).encode(layout(d));
    assertThatThrownBy(() -> ExchangeMessage.decode(b, layout(d + 1))).isInstanceOf(TrainerException.class)
        .hasMessageContaining((d + 15) + " values");
  }
}
