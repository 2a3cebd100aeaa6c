package io.ctrstreams.recompressor;

import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.LayerPlan;
import java.util.Arrays;
import java.util.Map;

/**
 * Encoded calibration rows in flat arrays: per row and field the table row ({@code index}) and the
 * value ({@code value}, the SCALED input or 1), plus an optional label (NaN when unknown). Both
 * the context and the candidate part of an impression live in one row: scorers take them as two
 * {@link FeatureVector}s, but encoded by field ordinal they never overlap.
 */
public final class Calibration implements LayerPlan.Rows {
  private final int fields;
  private int rows;
  private int[] index;
  private float[] value;
  private float[] label;

  /** An empty set for {@code fields} fields with room for {@code capacity} rows. */
  public Calibration(int fields, int capacity) {
    if (fields < 1) {
      throw new RecompressorException("calibration rows need >= 1 field, found " + fields);
    }
    this.fields = fields;
    int cap = Math.max(16, capacity);
    index = new int[cap * fields];
    value = new float[cap * fields];
    label = new float[cap];
  }

  /** Appends one encoded row; {@code label} may be NaN. */
  public void add(FeatureVector v, float rowLabel) {
    if (v.size() != fields) {
      throw new RecompressorException("feature vector has " + v.size() + " fields, calibration rows have " + fields);
    }
    if (rows == label.length) {
      int cap = label.length * 2;
      index = Arrays.copyOf(index, cap * fields);
      value = Arrays.copyOf(value, cap * fields);
      label = Arrays.copyOf(label, cap);
    }
    System.arraycopy(v.index(), 0, index, rows * fields, fields);
    System.arraycopy(v.value(), 0, value, rows * fields, fields);
    label[rows++] = rowLabel;
  }

  /** Encodes a raw event (field name to String/Number) with {@code encoder} and appends it. */
  public void add(FeatureEncoder encoder, Map<String, ?> raw, float rowLabel, FeatureVector scratch) {
    scratch.clear();
    encoder.encode(raw, scratch);
    add(scratch, rowLabel);
  }

  public int fields() {
    return fields;
  }

  public int rows() {
    return rows;
  }

  /** Table row of field {@code f} in row {@code r}. */
  @Override
  public int index(int r, int f) {
    return index[r * fields + f];
  }

  /** Value of field {@code f} in row {@code r}. */
  @Override
  public float value(int r, int f) {
    return value[r * fields + f];
  }

  /** Label of row {@code r} (NaN when unknown). */
  public float label(int r) {
    return label[r];
  }

  /** Whether every row has a label. */
  public boolean labelled() {
    for (int i = 0; i < rows; i++) {
      if (Float.isNaN(label[i])) {
        return false;
      }
    }
    return rows > 0;
  }

  /** Labels of rows {@code [from, to)} as a new array. */
  public float[] labels(int from, int to) {
    return Arrays.copyOfRange(label, from, to);
  }

  /** Rows {@code [from, to)} as a new set. */
  public Calibration slice(int from, int to) {
    if (from < 0 || to > rows || from > to) {
      throw new RecompressorException("slice [" + from + ", " + to + ") is outside 0.." + rows + " calibration rows");
    }
    Calibration c = new Calibration(fields, to - from);
    System.arraycopy(index, from * fields, c.index, 0, (to - from) * fields);
    System.arraycopy(value, from * fields, c.value, 0, (to - from) * fields);
    System.arraycopy(label, from, c.label, 0, to - from);
    c.rows = to - from;
    return c;
  }

  /** How often each table row of field {@code f} occurs: the AFM embedding weights. */
  public double[] rowCounts(int f, int tableRows) {
    double[] counts = new double[tableRows];
    for (int r = 0; r < rows; r++) {
      int i = index[r * fields + f];
      if (i >= 0 && i < tableRows) {
        counts[i]++;
      }
    }
    return counts;
  }

  /** Checks that every index fits the spec's tables. */
  public void check(ModelSpec spec) {
    if (spec.fieldCount() != fields) {
      throw new RecompressorException("calibration rows have " + fields + " fields, model " + spec.name() + " has "
          + spec.fieldCount());
    }
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < fields; f++) {
        int i = index[r * fields + f];
        if (i < 0 || i >= spec.field(f).rows()) {
          throw new RecompressorException("calibration row " + r + " field " + spec.field(f).name() + " has table row "
              + i + ", table has " + spec.field(f).rows());
        }
      }
    }
  }
}
