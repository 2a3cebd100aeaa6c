package io.ctrstreams.recompressor.search;

import io.ctrstreams.recompressor.RecompressorException;
import java.util.ArrayList;
import java.util.List;

/**
 * The rank ladder of one compressible layer: options in strictly increasing byte order (the
 * last is usually "keep dense"). A genome holds, per layer, an index into this list; a +-1 step
 * moves one rung.
 *
 * @param layer layer name for reports
 * @param fullRank {@code min(out, in)} of the layer, which scales "uniform" ranks
 * @param options the ladder
 */
public record LayerChoice(String layer, int fullRank, List<RankOption> options) {

  /** Validates ordering. */
  public LayerChoice {
    options = List.copyOf(options);
    if (options.isEmpty()) {
      throw new RecompressorException("rank ladder of layer " + layer + " must not be empty");
    }
    if (fullRank < 1) {
      throw new RecompressorException("full rank of layer " + layer + " must be >= 1, found " + fullRank);
    }
    for (int i = 1; i < options.size(); i++) {
      if (options.get(i).bytes() <= options.get(i - 1).bytes()) {
        throw new RecompressorException(
            "rank ladder of layer " + layer + " must grow in bytes: option " + options.get(i)
                + " (" + options.get(i).bytes() + " B) after " + options.get(i - 1) + " ("
                + options.get(i - 1).bytes() + " B)");
      }
    }
  }

  public int size() {
    return options.size();
  }

  public RankOption option(int i) {
    return options.get(i);
  }

  /** Rank as a fraction of the full rank (1 for dense). */
  public double fraction(int i) {
    RankOption o = options.get(i);
    return o.dense() ? 1.0 : Math.min(1.0, o.rank() / (double) fullRank);
  }

  /** A copy with sensitivities replaced. */
  public LayerChoice withSensitivities(double[] s) {
    if (s.length != options.size()) {
      throw new RecompressorException("layer " + layer + " has " + options.size() + " options, got "
          + s.length + " sensitivities");
    }
    List<RankOption> out = new ArrayList<>();
    for (int i = 0; i < s.length; i++) {
      out.add(options.get(i).withSensitivity(s[i]));
    }
    return new LayerChoice(layer, fullRank, out);
  }
}
