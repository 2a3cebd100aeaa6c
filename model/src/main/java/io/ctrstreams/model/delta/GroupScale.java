package io.ctrstreams.model.delta;

/**
 * How the scale of a quantized group ({@link ValueEncoding#quantized()}) travels. Narrow rows pay
 * most for their scale: an 8-wide row of 3-bit integers is 3 bytes, its bfloat16 scale 2 more.
 */
public enum GroupScale {
  /** One bfloat16 per group: {@code s = bf16(max|r| / L)} ({@link ValueEncoding#quantize}). */
  BF16,
  /**
   * A 4-bit code {@code k} per group below one bfloat16 maximum {@code S} per tensor delta:
   * {@code s = S * 2^(-k/2)}, the smallest such scale at or above {@code max|r| / L}, so no integer
   * clips ({@link ValueEncoding#quantizeCoded}); 15 steps of sqrt 2 cover 7.5 octaves, and a group
   * below that range is quantized with the smallest scale. Half a byte per group instead of two;
   * in this form the wire codec also Huffman-codes the integers of 4-bit and narrower encodings when
   * that is shorter (lossless; issue 14: BENCHMARKS.md section 6.3).
   */
  LOG4
}
