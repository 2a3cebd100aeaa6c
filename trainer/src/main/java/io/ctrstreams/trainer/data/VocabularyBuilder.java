package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts categorical values on the training split and keeps those seen at least {@code minCount}
 * times (FuxiCTR's Criteo_x4 recipe: min count 10, the rest shares the OOV rows).
 *
 * <p>Memory is one counter per distinct value per field (the vocabulary itself must be held
 * anyway to ship inside the model). Kept values are ordered by descending count, then by value,
 * so the id assignment is deterministic and frequent ids get low rows.
 */
public final class VocabularyBuilder {
  private final RawSchema schema;
  private final int minCount;
  private final List<Map<String, int[]>> counts = new ArrayList<>();

  /**
   * @throws TrainerException if minCount &lt; 1
   */
  public VocabularyBuilder(RawSchema schema, int minCount) {
    if (minCount < 1) {
      throw new TrainerException("vocabulary min count must be >= 1, found " + minCount);
    }
    this.schema = schema;
    this.minCount = minCount;
    for (int i = 0; i < schema.size(); i++) {
      counts.add(schema.field(i).numeric() ? null : new HashMap<>());
    }
  }

  /** Counts the categorical values of one training record (missing values are not counted). */
  public void add(RawRecord r) {
    for (int i = 0; i < counts.size(); i++) {
      Map<String, int[]> m = counts.get(i);
      if (m != null && r.category[i] != null) {
        m.computeIfAbsent(r.category[i], k -> new int[1])[0]++;
      }
    }
  }

  /** Vocabulary per categorical field name (possibly empty lists), in schema order. */
  public Map<String, List<String>> build() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (int i = 0; i < counts.size(); i++) {
      Map<String, int[]> m = counts.get(i);
      if (m == null) {
        continue;
      }
      List<Map.Entry<String, int[]>> kept = new ArrayList<>();
      for (Map.Entry<String, int[]> e : m.entrySet()) {
        if (e.getValue()[0] >= minCount) {
          kept.add(e);
        }
      }
      kept.sort((a, b) -> a.getValue()[0] != b.getValue()[0]
          ? Integer.compare(b.getValue()[0], a.getValue()[0])
          : a.getKey().compareTo(b.getKey()));
      List<String> v = new ArrayList<>(kept.size());
      for (Map.Entry<String, int[]> e : kept) {
        v.add(e.getKey());
      }
      out.put(schema.field(i).name(), v);
    }
    return out;
  }

  /** Distinct values seen so far in a field (before the min-count cut). */
  public int distinct(String field) {
    int i = schema.ordinal(field);
    if (i < 0 || counts.get(i) == null) {
      throw new TrainerException("no categorical field " + field + " in the schema");
    }
    return counts.get(i).size();
  }
}
