package io.ctrstreams.trainer.exchange;

/**
 * A delta-contractive compressor {@code C}: {@code ||C(v) - v||^2 <= (1 - delta) ||v||^2}. The
 * exchange applies {@code C} to a flat vector laid out by a {@link ParamLayout}. Implementations
 * keep scratch buffers and are not thread-safe (one per worker).
 */
public interface Compressor {

  /**
   * Writes {@code C(v)} into {@code out} (dense: zero where nothing is sent; {@code out} and
   * {@code v} must not alias) and returns the size of the message on the wire in bytes.
   */
  long compress(float[] v, float[] out);

  /** A lower bound on the contraction {@code delta} (1 for the identity). */
  double contraction();

  /** The wire size of the uncompressed vector (fp32 values, no indices). */
  long denseBytes();

  /** The identity (no compression): the message is the fp32 vector. */
  static Compressor identity(ParamLayout layout) {
    return new Compressor() {
      @Override
      public long compress(float[] v, float[] out) {
        System.arraycopy(v, 0, out, 0, layout.size());
        return denseBytes();
      }

      @Override
      public double contraction() {
        return 1;
      }

      @Override
      public long denseBytes() {
        return 4L * layout.size();
      }
    };
  }
}
