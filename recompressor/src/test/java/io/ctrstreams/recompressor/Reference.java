package io.ctrstreams.recompressor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Reads the numpy reference files under {@code src/test/resources/reference}. */
final class Reference {
  /** An array from the file: shape and row-major values. */
  record Array(int[] shape, double[] values) {}

  private Reference() {}

  static Map<String, Array> load(String resource) {
    try (InputStream in = Reference.class.getResourceAsStream("/reference/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource /reference/" + resource);
      }
      Map<String, Array> out = new HashMap<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] tok = line.trim().split(" ");
        String name = tok[0];
        int pos = 1;
        // Shape entries are integers; values always contain a '.' or 'e' (repr of a float).
        java.util.List<Integer> shape = new java.util.ArrayList<>();
        while (pos < tok.length && tok[pos].matches("\\d+")) {
          shape.add(Integer.parseInt(tok[pos++]));
        }
        double[] v = new double[tok.length - pos];
        for (int i = 0; i < v.length; i++) {
          v[i] = Double.parseDouble(tok[pos + i]);
        }
        out.put(name, new Array(shape.stream().mapToInt(Integer::intValue).toArray(), v));
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
