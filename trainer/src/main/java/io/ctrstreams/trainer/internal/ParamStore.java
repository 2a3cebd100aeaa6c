package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainable copy of a model's tensors, in {@link ModelGraph#expectedShapes} order. Lookup
 * tables (embedding tables and DeepFM first-order weights) are marked sparse: only the rows an
 * example touches get gradients and optimizer updates.
 */
public final class ParamStore {
  /** One trainable tensor: weights plus optimizer state, allocated by the optimizer on demand. */
  public static final class Param {
    public final String name;
    public final int index;
    public final int[] shape;
    public final float[] w;
    public final boolean sparse;
    /** Rows and row width for 2-D tensors (1-D: rows = 1). */
    public final int rows;
    public final int cols;
    /** Optimizer state (Adam: first and second moments; Adagrad: accumulator in {@code s2}). */
    public float[] s1;
    public float[] s2;

    Param(String name, int index, int[] shape, float[] w, boolean sparse) {
      this.name = name;
      this.index = index;
      this.shape = shape;
      this.w = w;
      this.sparse = sparse;
      this.rows = shape.length == 2 ? shape[0] : 1;
      this.cols = shape.length == 2 ? shape[1] : shape[0];
    }

    /** Whether L2 applies: weight matrices and tables, not biases. */
    public boolean decays() {
      return shape.length == 2;
    }
  }

  private final ModelSpec spec;
  private final Map<String, Param> byName = new LinkedHashMap<>();
  private final List<Param> params = new ArrayList<>();
  private final ModelGraph graph;

  /** Copies the tensors of {@code model} (the model itself is never modified). */
  public ParamStore(CtrModel model) {
    this.spec = model.spec();
    for (Map.Entry<String, int[]> e : ModelGraph.expectedShapes(spec).entrySet()) {
      String n = e.getKey();
      Tensor t = model.tensor(n);
      boolean sparse = isTable(n);
      Param p = new Param(n, params.size(), e.getValue().clone(), t.data().clone(), sparse);
      params.add(p);
      byName.put(n, p);
    }
    Map<String, Tensor> live = new LinkedHashMap<>();
    for (Param p : params) {
      live.put(p.name, new Tensor(p.name, p.shape, p.w));
    }
    this.graph = ModelGraph.of(spec, live);
  }

  /** The model's layers over the live weights: the forward pass of every replica runs these. */
  public ModelGraph graph() {
    return graph;
  }

  static boolean isTable(String name) {
    if (name.startsWith("fm/first/")) {
      return true;
    }
    if (!name.startsWith("emb/")) {
      return false;
    }
    int slash = name.indexOf('/', 4);
    return slash < 0 || name.endsWith("/table");
  }

  public ModelSpec spec() {
    return spec;
  }

  /** The parameter called {@code name}, or null. */
  public Param get(String name) {
    return byName.get(name);
  }

  public List<Param> params() {
    return Collections.unmodifiableList(params);
  }

  /** Copies of the current weights as model tensors. */
  public Map<String, Tensor> toTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Param p : params) {
      out.put(p.name, new Tensor(p.name, p.shape, p.w.clone()));
    }
    return out;
  }

  /** Number of trainable values. */
  public long size() {
    long n = 0;
    for (Param p : params) {
      n += p.w.length;
    }
    return n;
  }
}
