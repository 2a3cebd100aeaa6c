package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * The direct Impression decoder behaves exactly like Avro's decoder: equal records where Avro
 * decodes (including Avro's blocking encoder, negative block counts with byte sizes), a
 * BAD_AVRO CodecException where Avro fails (truncations, bit flips, arbitrary bodies).
 */
class ImpressionBinaryProperties {

  @Provide
  Arbitrary<Impression> impressions() {
    Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(12)
        .filter(s -> s.chars().noneMatch(ch -> Character.isSurrogate((char) ch)));
    Arbitrary<Object> value = Arbitraries.oneOf(
        text.map(s -> (Object) s),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, -0.0).map(d -> (Object) d));
    Arbitrary<Map<String, Object>> features = Arbitraries.maps(text, value).ofMaxSize(8).map(HashMap::new);
    Arbitrary<Candidate> candidate = Combinators.combine(text, features).as(Candidate::new);
    return Combinators.combine(text, Arbitraries.longs(), features, candidate.list().ofMaxSize(20))
        .as((id, ts, ctx, cs) -> new Impression(id, ts, ctx, new ArrayList<>(cs)));
  }

  @Provide
  Arbitrary<Impression> asciiKeyImpressions() {
    // few distinct short ASCII names (the shared-key path, slot collisions) and some long ones
    Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of("C1", "C2", "C26", "I1", "I13", "", "hour", "Aa", "BB"),
        Arbitraries.strings().ascii().ofMaxLength(40));
    Arbitrary<Object> value = Arbitraries.oneOf(Arbitraries.strings().ascii().ofMaxLength(10).map(v -> (Object) v),
        Arbitraries.doubles().map(d -> (Object) d));
    Arbitrary<Map<String, Object>> features = Arbitraries.maps(key, value).ofMaxSize(12).map(HashMap::new);
    Arbitrary<Candidate> candidate = Combinators.combine(key, features).as(Candidate::new);
    return Combinators.combine(key, Arbitraries.longs(), features, candidate.list().ofMaxSize(20))
        .as((id, ts, ctx, cs) -> new Impression(id, ts, ctx, new ArrayList<>(cs)));
  }

  @Property(tries = 300)
  void shouldDecodeSharedAsciiKeysExactlyAsAvro(@ForAll("asciiKeyImpressions") Impression imp) throws IOException {
    byte[] bytes = Impression.getEncoder().encode(imp).array();
    Impression fast = ImpressionBinary.decode(bytes);
    assertThat(fast).isEqualTo(Impression.getDecoder().decode(bytes)).isEqualTo(imp);
    for (Map.Entry<String, Object> e : fast.getContext().entrySet()) {
      assertThat(e.getKey().hashCode()).isEqualTo(new String(e.getKey().toCharArray()).hashCode());
    }
  }

  @Property(tries = 300)
  void shouldDecodeExactlyWhatAvroDecodes(@ForAll("impressions") Impression imp) throws IOException {
    byte[] bytes = Impression.getEncoder().encode(imp).array();
    Impression fast = ImpressionBinary.decode(bytes);
    assertThat(fast).isEqualTo(Impression.getDecoder().decode(bytes)).isEqualTo(imp);
  }

  @Property(tries = 200)
  void shouldReadAvrosBlockingEncoding(@ForAll("impressions") Impression imp,
      @ForAll @IntRange(min = 64, max = 256) int blockBytes) throws IOException {
    byte[] bytes = blocking(imp, blockBytes);
    assertThat(ImpressionBinary.decode(bytes)).isEqualTo(Impression.getDecoder().decode(bytes)).isEqualTo(imp);
  }

  @Property(tries = 1000)
  void shouldFailWhereAvroFailsOnTruncationsAndBitFlips(@ForAll("impressions") Impression imp,
      @ForAll @IntRange(min = 0, max = 10_000) int cut, @ForAll @IntRange(min = 0, max = 100_000) int flip,
      @ForAll boolean blocking) throws IOException {
    byte[] bytes = blocking ? blocking(imp, 64) : Impression.getEncoder().encode(imp).array();
    int body = bytes.length - 10;
    byte[] mutated = Arrays.copyOf(bytes, 10 + (body == 0 ? 0 : cut % (body + 1)));
    if (mutated.length > 10 && flip % 3 != 0) {
      int bit = flip % ((mutated.length - 10) * 8);
      mutated[10 + bit / 8] ^= (byte) (1 << (bit % 8));
    }
    assertSameOutcome(mutated);
  }

  @Property(tries = 500)
  void shouldFailWhereAvroFailsOnArbitraryBodies(@ForAll byte[] body) throws IOException {
    byte[] header = Arrays.copyOf(Impression.getEncoder().encode(sample()).array(), 10);
    byte[] bytes = Arrays.copyOf(header, 10 + body.length);
    System.arraycopy(body, 0, bytes, 10, body.length);
    assertSameOutcome(bytes);
  }

  @Test
  void shouldLeaveOtherHeadersToAvro() throws IOException {
    byte[] bytes = Impression.getEncoder().encode(sample()).array();
    bytes[5] ^= 1; // another fingerprint
    assertThat(ImpressionBinary.decode(bytes)).isNull();
    assertThat(ImpressionBinary.decode(new byte[] {(byte) 0xC3, 1, 0})).isNull();
    assertThat(ImpressionBinary.decode(Click.getEncoder().encode(new Click("e", "a", 1L)).array())).isNull();
  }

  private static Impression sample() {
    Map<String, Object> f = new HashMap<>();
    f.put("C1", "x");
    f.put("I1", 2.0);
    return new Impression("e-1", 5L, f, new ArrayList<>(List.of(new Candidate("ad", new HashMap<>(f)))));
  }

  private static byte[] blocking(Impression imp, int blockBytes) throws IOException {
    byte[] header = Arrays.copyOf(Impression.getEncoder().encode(imp).array(), 10);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    BinaryEncoder enc = new EncoderFactory().configureBlockSize(blockBytes).blockingBinaryEncoder(out, null);
    new SpecificDatumWriter<>(Impression.class).write(imp, enc);
    enc.flush();
    return out.toByteArray();
  }

  private static void assertSameOutcome(byte[] bytes) {
    Object avro;
    try {
      avro = Impression.getDecoder().decode(bytes);
    } catch (IOException | RuntimeException e) {
      avro = e;
    }
    Object fast;
    try {
      fast = ImpressionBinary.decode(bytes);
    } catch (CodecException e) {
      assertThat(e.reason()).isEqualTo(DecodeFailure.BAD_AVRO);
      fast = e;
    }
    if (avro instanceof Exception) {
      assertThat(fast).as("Avro failed with %s", avro).isInstanceOf(CodecException.class);
    } else if (fast instanceof CodecException e) {
      // stricter than Avro on purpose: bytes after the record, malformed UTF-8 that Avro's
      // decoder turns into U+FFFD, and a negative byte size after a negative block count (the
      // spec's size of the block in bytes; Avro's decoder reads it and ignores it)
      if (e.getMessage().contains("malformed UTF-8")) {
        assertThat(avro.toString()).contains("\uFFFD");
      } else if (e.getMessage().contains("negative block size")) {
        assertThat(e.getMessage()).containsPattern("negative block size -\\d+ at byte \\d+");
      } else {
        assertThat(e.getMessage()).contains("trailing bytes after the record");
      }
    } else {
      assertThat(fast).isEqualTo(avro);
    }
  }
}
