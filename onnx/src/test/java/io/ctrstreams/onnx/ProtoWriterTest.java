package io.ctrstreams.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.onnx.internal.ProtoWriter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The wire encoder against byte sequences from the protobuf encoding documentation and a decoder. */
class ProtoWriterTest {
  @Test
  void shouldEncodeVarintsAsTheSpecificationDoes() {
    // field 1 = 150: 08 96 01 (the encoding guide's first example)
    assertThat(new ProtoWriter().int64(1, 150).toByteArray()).containsExactly(0x08, 0x96, 0x01);
    // negative int64 takes ten bytes
    assertThat(new ProtoWriter().int64(1, -1).toByteArray()).containsExactly(
        0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    // field 20 (AttributeProto.type): tag 160 = A0 01
    assertThat(new ProtoWriter().int64(20, 2).toByteArray()).containsExactly(0xA0, 0x01, 0x02);
  }

  @Test
  void shouldEncodeStringsMessagesAndFloats() {
    // field 2 = "testing": 12 07 74 65 73 74 69 6e 67
    assertThat(new ProtoWriter().string(2, "testing").toByteArray())
        .containsExactly(0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67);
    // field 3 = message {field 1 = 150}: 1a 03 08 96 01
    assertThat(new ProtoWriter().message(3, new ProtoWriter().int64(1, 150)).toByteArray())
        .containsExactly(0x1a, 0x03, 0x08, 0x96, 0x01);
    // float 1.0 = 0x3F800000 little-endian under a fixed32 tag
    assertThat(new ProtoWriter().float32(2, 1f).toByteArray()).containsExactly(0x15, 0x00, 0x00, 0x80, 0x3F);
    assertThat(new ProtoWriter().rawFloats(9, new float[] {1f, -2f}).toByteArray())
        .containsExactly(0x4a, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0);
    assertThat(new ProtoWriter().rawLongs(9, new long[] {258}).toByteArray())
        .containsExactly(0x4a, 0x08, 0x02, 0x01, 0, 0, 0, 0, 0, 0);
    assertThat(new ProtoWriter().repeatedInt64(1, new long[] {3, 4}).toByteArray())
        .containsExactly(0x08, 0x03, 0x08, 0x04);
  }

  @Property
  void varintsShouldDecodeToTheirValue(@ForAll long v, @ForAll("fields") int field) {
    byte[] b = new ProtoWriter().int64(field, v).toByteArray();
    long[] pos = {0};
    assertThat(readVarint(b, pos)).isEqualTo(((long) field << 3));
    assertThat(readVarint(b, pos)).isEqualTo(v);
    assertThat(pos[0]).isEqualTo(b.length);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<Integer> fields() {
    return net.jqwik.api.Arbitraries.integers().between(1, (1 << 29) - 1);
  }

  private static long readVarint(byte[] b, long[] pos) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[(int) pos[0]++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return v;
      }
    }
  }
}
