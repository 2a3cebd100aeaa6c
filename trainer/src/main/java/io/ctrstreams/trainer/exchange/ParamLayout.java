package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a flat parameter (or gradient) vector is cut into tensors: each segment is a tensor of
 * {@code units} units of {@code unit} values. Dense tensors have unit 1 (top-k picks elements);
 * embedding tables have unit = row width (row top-k picks whole rows).
 */
public final class ParamLayout {
  /** One tensor of the flat vector. */
  public record Segment(String name, int offset, int length, int unit) {
    /** Number of units (rows for a table, elements otherwise). */
    public int units() {
      return length / unit;
    }
  }

  private final List<Segment> segments;
  private final int size;
  /** First global unit number of each segment, plus the total at the end. */
  private final int[] firstUnit;

  private ParamLayout(List<Segment> segments, int size) {
    this.segments = Collections.unmodifiableList(segments);
    this.size = size;
    this.firstUnit = new int[segments.size() + 1];
    for (int t = 0; t < segments.size(); t++) {
      firstUnit[t + 1] = firstUnit[t] + segments.get(t).units();
    }
  }

  /** Units of all tensors (rows of tables, elements of dense tensors). */
  public int units() {
    return firstUnit[firstUnit.length - 1];
  }

  /** The segment index holding global unit {@code u} (0 <= u < units()). */
  public int segmentOfUnit(int u) {
    int lo = 0;
    int hi = segments.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (firstUnit[mid] <= u) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** The global number of unit {@code u} of segment {@code t}. */
  public int globalUnit(int t, int u) {
    return firstUnit[t] + u;
  }

  /** The first global unit of segment {@code t}. */
  public int firstUnit(int t) {
    return firstUnit[t];
  }

  /** A layout of one dense tensor of {@code d} values. */
  public static ParamLayout dense(int d) {
    return builder().add("x", d, 1).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a layout tensor by tensor, in order. */
  public static final class Builder {
    private final List<Segment> segs = new ArrayList<>();
    private int off;

    /**
     * Appends a tensor of {@code length} values in units of {@code unit}.
     *
     * @throws TrainerException if the length is not a positive multiple of the unit
     */
    public Builder add(String name, int length, int unit) {
      if (unit < 1 || length < 1 || length % unit != 0) {
        throw new TrainerException("tensor " + name + " of " + length + " values cannot be cut in units of " + unit);
      }
      segs.add(new Segment(name, off, length, unit));
      off = Math.addExact(off, length);
      return this;
    }

    public ParamLayout build() {
      if (segs.isEmpty()) {
        throw new TrainerException("a parameter layout needs at least one tensor");
      }
      return new ParamLayout(new ArrayList<>(segs), off);
    }
  }

  public List<Segment> segments() {
    return segments;
  }

  /** Total number of values d. */
  public int size() {
    return size;
  }
}
