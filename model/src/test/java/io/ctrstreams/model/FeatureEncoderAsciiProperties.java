package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link FeatureEncoder#encodeAscii} (hashing straight from record bytes) gives the row of
 * {@link FeatureEncoder#encodeField(int, CharSequence, FeatureVector)} on the decoded string, and
 * declines, leaving the vector untouched, whenever it cannot: non-ASCII bytes, vocabulary fields,
 * numeric fields.
 */
class FeatureEncoderAsciiProperties {
  private static final FeatureEncoder ENC = CtrModel.random(TestSpecs.small().build(), 7).encoder();
  private static final int SITE = 0; // categorical with a vocabulary
  private static final int AGE = 1; // numeric
  private static final int AD = 2; // categorical, hashed only

  @Property(tries = 300)
  void asciiBytesEncodeAsTheirString(@ForAll @CharRange(from = 0, to = 127) String s,
      @ForAll @IntRange(min = 0, max = 5) int pad) {
    check(s, pad);
  }

  @Property(tries = 300)
  void anyStringEncodesAsItsStringOrIsDeclined(@ForAll String s, @ForAll @IntRange(min = 0, max = 5) int pad) {
    check(s, pad);
  }

  private static void check(String s, int pad) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    byte[] framed = new byte[utf8.length + 2 * pad];
    System.arraycopy(utf8, 0, framed, pad, utf8.length);
    FeatureVector fast = ENC.newFeatureVector();
    FeatureVector slow = ENC.newFeatureVector();
    boolean ascii = s.chars().allMatch(c -> c < 0x80);
    boolean done = ENC.encodeAscii(AD, framed, pad, utf8.length, fast);
    assertThat(done).as("encoded iff ASCII: %s", s).isEqualTo(ascii);
    if (done) {
      ENC.encodeField(AD, s, slow);
      assertThat(fast.index()[AD]).isEqualTo(slow.index()[AD]);
      assertThat(fast.value()[AD]).isEqualTo(slow.value()[AD]);
    } else {
      assertThat(fast.index()[AD]).as("untouched").isZero();
      assertThat(fast.value()[AD]).as("untouched").isZero();
    }
  }

  @Example
  void declinesVocabularyAndNumericFields() {
    FeatureVector v = ENC.newFeatureVector();
    byte[] site = "site:2".getBytes(StandardCharsets.US_ASCII);
    assertThat(ENC.encodeAscii(SITE, site, 0, site.length, v)).as("vocabulary lookups need the string").isFalse();
    byte[] age = "10".getBytes(StandardCharsets.US_ASCII);
    assertThat(ENC.encodeAscii(AGE, age, 0, age.length, v)).as("numbers are parsed, not hashed").isFalse();
    assertThat(v.index()).containsOnly(0);
    assertThat(v.value()).containsOnly(0f);
  }

  @Example
  void hashesTheEmptyStringLikeEncodeField() {
    FeatureVector fast = ENC.newFeatureVector();
    FeatureVector slow = ENC.newFeatureVector();
    assertThat(ENC.encodeAscii(AD, new byte[0], 0, 0, fast)).isTrue();
    ENC.encodeField(AD, "", slow);
    assertThat(fast.index()[AD]).isEqualTo(slow.index()[AD]).isEqualTo(FeatureHash.bucket("", 16));
  }
}
