package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The ordered raw fields of a dataset; field ordinals here are the model's field ordinals. */
public final class RawSchema {
  private final List<RawField> fields;
  private final Map<String, Integer> ordinals = new HashMap<>();

  /**
   * @throws TrainerException on an empty schema or a duplicate name
   */
  public RawSchema(List<RawField> fields) {
    if (fields.isEmpty()) {
      throw new TrainerException("a raw schema needs at least one field, found none");
    }
    this.fields = List.copyOf(fields);
    for (int i = 0; i < fields.size(); i++) {
      if (ordinals.put(fields.get(i).name(), i) != null) {
        throw new TrainerException("duplicate raw field " + fields.get(i).name());
      }
    }
  }

  /**
   * Criteo display-ads schema: I1..I13 numeric then C1..C26 categorical. Criteo does not say which
   * columns describe the ad, so by convention the numeric fields and C1..C13 are context and
   * C14..C26 candidate (the split the scorer benchmarks use too).
   */
  public static RawSchema criteo() {
    List<RawField> f = new ArrayList<>();
    for (int i = 1; i <= 13; i++) {
      f.add(new RawField("I" + i, true, true));
    }
    for (int i = 1; i <= 26; i++) {
      f.add(new RawField("C" + i, false, i <= 13));
    }
    return new RawSchema(f);
  }

  /** Avazu columns after dropping id and click; the hour column becomes hour_of_day, weekday and weekend. */
  static final String[] AVAZU_COLUMNS = {
    "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id", "app_domain",
    "app_category", "device_id", "device_ip", "device_model", "device_type", "device_conn_type",
    "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21"
  };

  /**
   * Avazu schema, all categorical: hour_of_day, weekday, weekend, then {@link #AVAZU_COLUMNS}.
   * Time, site, app and device fields are context; C1, banner_pos and the anonymized C14..C21
   * (ad-side in the competition's description) are candidate.
   */
  public static RawSchema avazu() {
    List<RawField> f = new ArrayList<>();
    f.add(new RawField("hour_of_day", false, true));
    f.add(new RawField("weekday", false, true));
    f.add(new RawField("weekend", false, true));
    for (String c : AVAZU_COLUMNS) {
      boolean candidate = c.equals("C1") || c.equals("banner_pos") || (c.startsWith("C") && c.length() == 3);
      f.add(new RawField(c, false, !candidate));
    }
    return new RawSchema(f);
  }

  public List<RawField> fields() {
    return fields;
  }

  public int size() {
    return fields.size();
  }

  public RawField field(int ordinal) {
    return fields.get(ordinal);
  }

  /** Ordinal of a field, or -1. */
  public int ordinal(String name) {
    Integer i = ordinals.get(name);
    return i == null ? -1 : i;
  }

  /** A fresh record sized for this schema. */
  public RawRecord newRecord() {
    return new RawRecord(this);
  }
}
