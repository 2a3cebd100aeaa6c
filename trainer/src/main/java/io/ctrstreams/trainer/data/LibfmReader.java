package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams libfm / libsvm text, the format of the public CTR benchmark sets BARS reports on
 * (Frappe, MovieLens): {@code label feature feature ...}, separated by spaces or tabs.
 *
 * <ul>
 *   <li>Labels: {@code 1}, {@code +1}, {@code 1.0} are clicks; {@code 0}, {@code -1}, {@code 0.0},
 *       {@code -1.0} are not; anything else is an error naming the line.
 *   <li>Positional form {@code idx:val}: the k-th feature of a line is field {@code F<k>} (the
 *       benchmark files list one active feature per field, in field order).
 *   <li>Field-aware form {@code field:idx:val}: the feature belongs to field {@code F<field>};
 *       a field may appear at most once per line.
 * </ul>
 *
 * Every field is categorical with the feature index as its id (one-hot features): the value must
 * be 1 ({@code 1}, {@code 1.0}); other values are rejected rather than silently dropped. The number
 * of fields comes from the file's first line ({@link #schemaOf}); a later line with more
 * features, or a field index beyond it, is an error; absent fields are missing. A file must not
 * mix the two forms.
 */
public final class LibfmReader extends LineRecordReader {
  private final boolean fieldAware;
  private final int fields;
  private final boolean[] seen;

  /**
   * @param schema from {@link #schemaOf} (fields {@code F0 .. F<n-1>})
   * @param fieldAware whether features are {@code field:idx:val}
   */
  public LibfmReader(BufferedReader in, RawSchema schema, boolean fieldAware) {
    super(in, schema);
    this.fieldAware = fieldAware;
    this.fields = schema.size();
    this.seen = new boolean[fields];
  }

  /** A reader over {@code path}, its schema and form taken from the first non-empty line. */
  public static LibfmReader open(Path path) throws IOException {
    Shape shape = shapeOf(path);
    return new LibfmReader(Files.newBufferedReader(path, StandardCharsets.UTF_8), schema(shape.fields()),
        shape.fieldAware());
  }

  /** The schema {@code F0 .. F<n-1>} (categorical, context) of a file of {@code n} fields. */
  public static RawSchema schema(int n) {
    if (n < 1) {
      throw new TrainerException("libfm data needs at least one feature per line, found " + n);
    }
    List<RawField> f = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      f.add(new RawField("F" + i, false, true));
    }
    return new RawSchema(f);
  }

  /** The schema of the file at {@code path} (from its first non-empty line). */
  public static RawSchema schemaOf(Path path) throws IOException {
    return schema(shapeOf(path).fields());
  }

  /** Fields and form of a file, from its first non-empty line. */
  record Shape(int fields, boolean fieldAware) {}

  static Shape shapeOf(Path path) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String s;
      while ((s = in.readLine()) != null) {
        if (!s.isBlank()) {
          return shapeOf(s);
        }
      }
    }
    throw new TrainerException("libfm file " + path + " has no data line");
  }

  static Shape shapeOf(String line) {
    String[] tok = line.trim().split("[ \t]+");
    if (tok.length < 2) {
      throw new TrainerException("libfm line 1 has no feature: \"" + abbreviate(line) + "\"");
    }
    boolean aware = colons(tok[1]) == 2;
    if (!aware) {
      return new Shape(tok.length - 1, false);
    }
    int max = -1;
    for (int i = 1; i < tok.length; i++) {
      int c = tok[i].indexOf(':');
      if (c <= 0) {
        throw new TrainerException("libfm line 1 feature " + i + " must be field:idx:val, found \"" + abbreviate(tok[i]) + "\"");
      }
      max = Math.max(max, parseIndex(tok[i].substring(0, c), 1, "field"));
    }
    if (max >= 10_000) {
      throw new TrainerException("libfm line 1 names field " + max + ": at most 10000 fields are supported");
    }
    return new Shape(max + 1, true);
  }

  private static int colons(String t) {
    int n = 0;
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) == ':') {
        n++;
      }
    }
    return n;
  }

  @Override
  protected void parse(String s, RawRecord out) {
    java.util.Arrays.fill(seen, false);
    int n = s.length();
    int start = 0;
    int k = -1; // token number: -1 = label
    while (true) {
      while (start < n && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
        start++;
      }
      if (start >= n) {
        break;
      }
      int end = start;
      while (end < n && s.charAt(end) != ' ' && s.charAt(end) != '\t') {
        end++;
      }
      String tok = s.substring(start, end);
      if (k < 0) {
        out.label = label(tok);
      } else {
        feature(tok, k, out);
      }
      k++;
      start = end;
    }
    if (k < 0) {
      throw new TrainerException("libfm line " + line + " is blank");
    }
    out.timestampMs = line;
  }

  private float label(String t) {
    switch (t) {
      case "1", "+1", "1.0", "+1.0":
        return 1f;
      case "0", "-1", "0.0", "-1.0":
        return 0f;
      default:
        throw new TrainerException("libfm line " + line + " label must be 1/+1 or 0/-1, found \"" + abbreviate(t) + "\"");
    }
  }

  private void feature(String t, int k, RawRecord out) {
    int c1 = t.indexOf(':');
    int c2 = c1 < 0 ? -1 : t.indexOf(':', c1 + 1);
    boolean aware = c2 >= 0;
    if (c1 <= 0 || aware != fieldAware || (aware && t.indexOf(':', c2 + 1) >= 0)) {
      throw new TrainerException("libfm line " + line + " feature " + (k + 1) + " must be "
          + (fieldAware ? "field:idx:val" : "idx:val") + " like the file's first line, found \"" + abbreviate(t) + "\"");
    }
    int field;
    String idx;
    String val;
    if (aware) {
      field = parseIndex(t.substring(0, c1), line, "field");
      idx = t.substring(c1 + 1, c2);
      val = t.substring(c2 + 1);
    } else {
      field = k;
      idx = t.substring(0, c1);
      val = t.substring(c1 + 1);
    }
    if (field >= fields) {
      throw new TrainerException("libfm line " + line + (aware ? " names field " + field : " has more than " + fields
          + " features") + "; the file's first line has " + fields + " fields");
    }
    if (seen[field]) {
      throw new TrainerException("libfm line " + line + " has field " + field + " twice");
    }
    seen[field] = true;
    parseIndex(idx, line, "feature index");
    if (!val.equals("1") && !val.equals("1.0")) {
      throw new TrainerException("libfm line " + line + " feature " + (k + 1) + " has value \"" + abbreviate(val)
          + "\": only one-hot features (value 1) are supported");
    }
    out.category[field] = idx;
  }

  private static int parseIndex(String s, long line, String what) {
    if (s.isEmpty() || s.length() > 9) {
      throw new TrainerException("libfm line " + line + " " + what + " must be a non-negative integer, found \""
          + abbreviate(s) + "\"");
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw new TrainerException("libfm line " + line + " " + what + " must be a non-negative integer, found \""
            + abbreviate(s) + "\"");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
