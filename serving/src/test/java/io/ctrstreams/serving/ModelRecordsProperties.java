package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.ModelChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The direct chunk encoder writes exactly Avro's single-object bytes, which decode back. */
class ModelRecordsProperties {

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(30), Arbitraries.strings().ascii().ofMaxLength(80));
  }

  @Property(tries = 300)
  void chunkShouldBeAvrosBytes(@ForAll("names") String model, @ForAll long version, @ForAll int index,
      @ForAll int count, @ForAll byte[] data, @ForAll @IntRange(min = 0, max = 3) int offset) throws IOException {
    // data as a slice of a larger buffer: only its remaining bytes are the chunk
    byte[] framed = new byte[offset + data.length + 2];
    System.arraycopy(data, 0, framed, offset, data.length);
    ByteBuffer slice = ByteBuffer.wrap(framed, offset, data.length).slice();
    ModelChunk c = new ModelChunk(model, version, index, count, slice);
    byte[] avro = ModelRecords.toArray(new ModelChunk(model, version, index, count, ByteBuffer.wrap(data)).toByteBuffer());
    byte[] direct = ModelRecords.encode(c);
    assertThat(direct).containsExactly(avro);
    assertThat(slice.position()).as("the chunk's buffer is not consumed").isZero();
    ModelChunk back = ModelRecords.decodeChunk(direct);
    assertThat(back.getVersion()).isEqualTo(version);
    assertThat(ModelRecords.toArray(back.getData())).containsExactly(data);
  }

  @Property(tries = 3)
  void fullSizeChunkShouldBeAvrosBytes(@ForAll long seed) throws IOException {
    byte[] data = new byte[ModelPublisher.CHUNK_BYTES];
    new java.util.Random(seed).nextBytes(data);
    ModelChunk c = new ModelChunk("criteo-dnn-lr", 7L, 3, 6, ByteBuffer.wrap(data));
    byte[] direct = ModelRecords.encode(c);
    assertThat(direct).containsExactly(ModelRecords.toArray(c.toByteBuffer()));
    assertThat(direct.length).as("below 1 MiB").isLessThan(1 << 20);
  }
}
