package io.ctrstreams.model.delta;

import java.util.Arrays;

/**
 * An embedding table [rows, width] held as fixed-size pages of {@link #PAGE_ROWS} rows, shared
 * copy-on-write between model versions: {@link #withAdded} copies only the pages a delta touches
 * and returns a new table that shares every other page with this one. Immutable once built (a
 * published instance's pages are never written again), so scorers read it without locks.
 *
 * <p>A table made {@link #of} a flat array does not copy it: every page is a window (array,
 * offset) into that array; a page a delta touches becomes an array of its own. Row {@code r} is
 * {@code page(r)[offset(r) + c]}, {@code c < width}.
 */
public final class RowPages {
  /** log2 of the rows per page. */
  public static final int PAGE_SHIFT = 8;
  /** Rows per page: a touched page costs {@code 256 * width} floats to copy. */
  public static final int PAGE_ROWS = 1 << PAGE_SHIFT;
  private static final int MASK = PAGE_ROWS - 1;

  private final float[][] pages;
  private final int[] offsets;
  private final int rows;
  private final int width;

  private RowPages(float[][] pages, int[] offsets, int rows, int width) {
    this.pages = pages;
    this.offsets = offsets;
    this.rows = rows;
    this.width = width;
  }

  /** Pages over {@code flat} [rows, width] (not copied: the caller must not write it afterwards). */
  public static RowPages of(float[] flat, int rows, int width) {
    if ((long) rows * width != flat.length) {
      throw new IllegalArgumentException("table of " + rows + " x " + width + " needs " + (long) rows * width
          + " floats, found " + flat.length);
    }
    int n = pageCount(rows);
    float[][] p = new float[n][];
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = flat;
      o[i] = i * PAGE_ROWS * width;
    }
    return new RowPages(p, o, rows, width);
  }

  private static int pageCount(int rows) {
    return (rows + PAGE_ROWS - 1) >>> PAGE_SHIFT;
  }

  public int rows() {
    return rows;
  }

  public int width() {
    return width;
  }

  /** The array holding row {@code r} (read only). */
  public float[] page(int r) {
    return pages[r >>> PAGE_SHIFT];
  }

  /** Where row {@code r} starts in {@link #page}. */
  public int offset(int r) {
    return offsets[r >>> PAGE_SHIFT] + (r & MASK) * width;
  }

  /** Element {@code c} of row {@code r}. */
  public float get(int r, int c) {
    return pages[r >>> PAGE_SHIFT][offsets[r >>> PAGE_SHIFT] + (r & MASK) * width + c];
  }

  /** Whether row {@code r} lives in the same page array as in {@code other} (shared, not copied). */
  public boolean sharesPage(RowPages other, int r) {
    return pages[r >>> PAGE_SHIFT] == other.pages[r >>> PAGE_SHIFT];
  }

  /** A flat copy [rows, width]. */
  public float[] toArray() {
    float[] out = new float[rows * width];
    for (int pg = 0; pg < pages.length; pg++) {
      int first = pg << PAGE_SHIFT;
      int n = Math.min(PAGE_ROWS, rows - first) * width;
      System.arraycopy(pages[pg], offsets[pg], out, first * width, n);
    }
    return out;
  }

  /**
   * A new table with {@code delta[j * width + c]} added to row {@code rowIdx[j]} (strictly
   * increasing, each in range), one float addition per value as {@link DeltaState#add} does;
   * touched pages are copied first, the rest shared. {@code hash}, when not null, is told every
   * element's old and new value.
   */
  RowPages withAdded(int[] rowIdx, float[] delta, ElementListener hash) {
    float[][] p = pages.clone();
    int[] o = offsets.clone();
    int copied = -1;
    for (int j = 0; j < rowIdx.length; j++) {
      int r = rowIdx[j];
      int pg = r >>> PAGE_SHIFT;
      if (pg != copied) {
        int first = pg << PAGE_SHIFT;
        int n = Math.min(PAGE_ROWS, rows - first) * width;
        p[pg] = Arrays.copyOfRange(pages[pg], offsets[pg], offsets[pg] + n);
        o[pg] = 0;
        copied = pg; // indices increase: a page is copied once
      }
      float[] a = p[pg];
      int base = (r & MASK) * width;
      for (int c = 0; c < width; c++) {
        float before = a[base + c];
        float after = before + delta[j * width + c];
        a[base + c] = after;
        if (hash != null) {
          hash.changed(r * width + c, before, after);
        }
      }
    }
    return new RowPages(p, o, rows, width);
  }

  /** Told each element an update changes. */
  @FunctionalInterface
  interface ElementListener {
    void changed(int element, float before, float after);
  }
}
