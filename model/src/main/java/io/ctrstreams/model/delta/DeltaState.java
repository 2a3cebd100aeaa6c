package io.ctrstreams.model.delta;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.ModelFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights {@code w} a delta chain updates: a copy of every tensor of a model file, with a
 * 64-bit hash kept up to date as deltas are applied. Embedding tables (rank-2 tensors named
 * {@code emb/...}) are updated by whole rows, every other tensor by element.
 *
 * <p>The hash is a sum (mod 2^64) of one mixed 64-bit term per element, of the tensor's position,
 * the element's index and its float bits, so applying {@code k} values updates it in O(k) and any
 * bit that differs between producer and consumer changes it (with probability 1 - 2^-64 per
 * differing state). Not thread-safe.
 */
public final class DeltaState {
  private final String[] names;
  private final int[][] shapes;
  private final float[][] values;
  private final int[] rowWidth;
  private final Map<String, Integer> index = new HashMap<>();
  private long hash;

  private DeltaState(String[] names, int[][] shapes, float[][] values) {
    this.names = names;
    this.shapes = shapes;
    this.values = values;
    this.rowWidth = new int[names.length];
    for (int t = 0; t < names.length; t++) {
      index.put(names[t], t);
      rowWidth[t] = unitOf(names[t], shapes[t]);
    }
    this.hash = hashOf(values);
  }

  /** Floats per unit of a tensor: a row of an embedding table (rank 2, named {@code emb/...}), else one. */
  static int unitOf(String name, int[] shape) {
    return shape.length == 2 && name.startsWith("emb/") ? shape[1] : 1;
  }

  /** The hash of tensors {@code values} (by position). */
  static long hashOf(float[][] values) {
    long h = 0;
    for (int t = 0; t < values.length; t++) {
      float[] v = values[t];
      for (int i = 0; i < v.length; i++) {
        h += term(t, i, v[i]);
      }
    }
    return h;
  }

  /** A copy of the tensors of {@code model}, in its canonical order (the order {@link PagedModel} uses). */
  public static DeltaState of(CtrModel model) {
    int n = model.tensorMap().size();
    String[] names = new String[n];
    int[][] shapes = new int[n][];
    float[][] values = new float[n][];
    int t = 0;
    for (Tensor x : model.tensors()) {
      names[t] = x.name();
      shapes[t] = x.shape();
      values[t] = x.data().clone();
      t++;
    }
    return new DeltaState(names, shapes, values);
  }

  /** A copy of the tensors of {@code file}, in file order. */
  public static DeltaState of(ModelFile file) {
    List<Tensor> ts = file.tensors();
    String[] names = new String[ts.size()];
    int[][] shapes = new int[ts.size()][];
    float[][] values = new float[ts.size()][];
    for (int t = 0; t < names.length; t++) {
      names[t] = ts.get(t).name();
      shapes[t] = ts.get(t).shape();
      values[t] = ts.get(t).data().clone();
    }
    return new DeltaState(names, shapes, values);
  }

  /** An independent copy. */
  public DeltaState copy() {
    float[][] v = new float[values.length][];
    for (int t = 0; t < v.length; t++) {
      v[t] = values[t].clone();
    }
    return new DeltaState(names.clone(), shapes.clone(), v);
  }

  /** {@code template} with this state's tensor values (copies): what the chain reconstructs. */
  public ModelFile toFile(ModelFile template) {
    List<Tensor> ts = new ArrayList<>(names.length);
    for (Tensor t : template.tensors()) {
      Integer i = index.get(t.name());
      if (i == null || !java.util.Arrays.equals(shapes[i], t.shape())) {
        throw new CtrModelException("template tensor " + t.name() + " is not in this delta state (or has another shape)");
      }
      ts.add(new Tensor(t.name(), t.shape(), values[i].clone()));
    }
    if (ts.size() != names.length) {
      throw new CtrModelException("template has " + ts.size() + " tensors, the delta state " + names.length);
    }
    return new ModelFile(template.modelName(), template.modelVersion(), template.specJson(), template.metadata(), ts,
        template.stringTables(), template.calibration());
  }

  /** The hash of the current values. */
  public long hash() {
    return hash;
  }

  /** Number of tensors. */
  public int tensorCount() {
    return names.length;
  }

  /** Name of tensor {@code t}. */
  public String name(int t) {
    return names[t];
  }

  /** Position of the tensor named {@code name}, or -1. */
  public int indexOf(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  /** Values of tensor {@code t} (live: do not modify). */
  public float[] values(int t) {
    return values[t];
  }

  /** Floats per updated unit of tensor {@code t}: the row width of an embedding table, else 1. */
  public int unit(int t) {
    return rowWidth[t];
  }

  /** Euclidean norm over every tensor. */
  public double norm() {
    double s = 0;
    for (float[] v : values) {
      for (float x : v) {
        s += (double) x * x;
      }
    }
    return Math.sqrt(s);
  }

  /**
   * Adds {@code delta[j * unit + c]} to unit {@code indices[j]} of tensor {@code t} (element
   * {@code indices[j] * unit + c}), with one float addition per value; the hash follows. The one
   * update rule of producer and consumer. {@code old}, when not null, receives the values it
   * replaced (for {@link #restore}).
   */
  void add(int t, int[] indices, float[] delta, float[] old) {
    float[] v = values[t];
    int unit = rowWidth[t];
    long h = hash;
    for (int j = 0; j < indices.length; j++) {
      int base = indices[j] * unit;
      for (int c = 0; c < unit; c++) {
        int i = base + c;
        float before = v[i];
        float after = before + delta[j * unit + c];
        if (old != null) {
          old[j * unit + c] = before;
        }
        h += term(t, i, after) - term(t, i, before);
        v[i] = after;
      }
    }
    hash = h;
  }

  /** Puts back the values {@link #add} replaced (in reverse order of the adds). */
  void restore(int t, int[] indices, float[] old) {
    float[] v = values[t];
    int unit = rowWidth[t];
    long h = hash;
    for (int j = indices.length - 1; j >= 0; j--) {
      int base = indices[j] * unit;
      for (int c = unit - 1; c >= 0; c--) {
        int i = base + c;
        h += term(t, i, old[j * unit + c]) - term(t, i, v[i]);
        v[i] = old[j * unit + c];
      }
    }
    hash = h;
  }

  /** The hash term of element {@code i} of tensor {@code t} holding {@code v}. */
  static long term(int t, int i, float v) {
    long z = ((long) t << 32 | (i & 0xffffffffL)) * 0x9E3779B97F4A7C15L
        ^ (Float.floatToRawIntBits(v) & 0xffffffffL) * 0xC2B2AE3D27D4EB4FL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
