package io.ctrstreams.trainer.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One raw example, reused across reads: the label, an event time and, per schema field, either a
 * categorical string ({@link #category}, null = missing) or a number ({@link #number}, NaN =
 * missing).
 */
public final class RawRecord {
  private final RawSchema schema;
  /** Click label: 1 clicked, 0 not; a soft target in [0, 1] for distillation data. */
  public float label;
  /** Event time in ms since the epoch; 0 when the source has none. */
  public long timestampMs;
  /** Categorical values by field ordinal (null = missing, unused for numeric fields). */
  public final String[] category;
  /** Numeric values by field ordinal (NaN = missing, unused for categorical fields). */
  public final double[] number;

  RawRecord(RawSchema schema) {
    this.schema = schema;
    this.category = new String[schema.size()];
    this.number = new double[schema.size()];
    clear();
  }

  public RawSchema schema() {
    return schema;
  }

  /** Sets every field missing and the label to 0. */
  public void clear() {
    Arrays.fill(category, null);
    Arrays.fill(number, Double.NaN);
    label = 0;
    timestampMs = 0;
  }

  /** Copies all values of {@code other} (same schema) into this record. */
  public void copyFrom(RawRecord other) {
    System.arraycopy(other.category, 0, category, 0, category.length);
    System.arraycopy(other.number, 0, number, 0, number.length);
    label = other.label;
    timestampMs = other.timestampMs;
  }

  /** The values as a field-name map (String or Double; missing omitted), for the event-based APIs. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < category.length; i++) {
      RawField f = schema.field(i);
      if (f.numeric()) {
        if (!Double.isNaN(number[i])) {
          m.put(f.name(), number[i]);
        }
      } else if (category[i] != null) {
        m.put(f.name(), category[i]);
      }
    }
    return m;
  }
}
