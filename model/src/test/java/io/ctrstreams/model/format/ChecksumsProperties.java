package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Hashing and checksumming in steps gives what one call gives, for arrays, heap buffers (sliced,
 * so with an array offset) and direct buffers, at lengths around and across the step size; the
 * buffer's position ends at its limit as with the JDK's own update.
 */
class ChecksumsProperties {
  @Property(tries = 200)
  void stepsShouldGiveTheSingleCallResult(@ForAll long seed, @ForAll @IntRange(min = 0, max = 5 * Checksums.STEP + 3) int len,
      @ForAll @IntRange(min = 0, max = 7) int off) throws Exception {
    byte[] b = new byte[off + len + 5];
    new Random(seed).nextBytes(b);

    MessageDigest one = MessageDigest.getInstance("SHA-256");
    one.update(b, off, len);
    byte[] want = one.digest();
    CRC32C crcOne = new CRC32C();
    crcOne.update(b, off, len);

    MessageDigest steps = MessageDigest.getInstance("SHA-256");
    Checksums.update(steps, b, off, len);
    assertThat(steps.digest()).isEqualTo(want);

    ByteBuffer sliced = ByteBuffer.wrap(b, off, len + 5).slice().limit(len); // arrayOffset = off
    Checksums.update(steps, sliced);
    assertThat(steps.digest()).isEqualTo(want);
    assertThat(sliced.position()).isEqualTo(len);

    ByteBuffer direct = ByteBuffer.allocateDirect(len).put(b, off, len).flip();
    Checksums.update(steps, direct);
    assertThat(steps.digest()).isEqualTo(want);
    assertThat(direct.remaining()).isZero();

    CRC32C crc = new CRC32C();
    Checksums.update(crc, b, off, len);
    assertThat(crc.getValue()).isEqualTo(crcOne.getValue());
    crc.reset();
    ByteBuffer sliced2 = ByteBuffer.wrap(b, off, len + 5).slice().limit(len);
    Checksums.update(crc, sliced2);
    assertThat(crc.getValue()).isEqualTo(crcOne.getValue());
    assertThat(sliced2.position()).isEqualTo(len);
  }
}
