package io.ctrstreams.model;

/** Cheap argument checks for the layers' public forward passes (messages name the values). */
final class Checks {
  private Checks() {}

  static void range(String layer, String what, float[] a, int off, int len) {
    if (a == null) {
      throw new CtrModelException(layer + ": " + what + " buffer must not be null");
    }
    if (off < 0 || off > a.length - len) {
      throw new CtrModelException(layer + ": " + what + " needs " + len + " floats at offset " + off
          + ", found buffer length " + a.length);
    }
  }

  static void row(String table, int row, int rows) {
    if (row < 0 || row >= rows) {
      throw new CtrModelException("row of " + table + " must be in [0, " + rows + "), found " + row);
    }
  }
}
