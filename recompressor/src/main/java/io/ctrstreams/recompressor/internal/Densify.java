package io.ctrstreams.recompressor.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankEmbedding;
import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import io.ctrstreams.recompressor.RecompressorException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a low-rank model back into the equivalent dense one (W = U V, b = U c + d; E = table proj +
 * bias), so an already-compressed model can be recompressed at other ranks. Exact only without a
 * ReLU between factors and without folding, which are therefore refused.
 */
public final class Densify {
  private Densify() {}

  /** {@code model} itself when it is dense, else its dense equivalent. */
  public static CtrModel dense(CtrModel model) {
    ModelSpec spec = model.spec();
    if (spec.lowRank() == null) {
      return model;
    }
    if (spec.isFolded()) {
      throw new RecompressorException("model " + model.name() + " has embeddings folded into mlp/0 and cannot be "
          + "recompressed; compress the full model instead");
    }
    if (spec.isFactorActivation()) {
      throw new RecompressorException("model " + model.name() + " has a ReLU between low-rank factors and has no "
          + "exact dense form; compress the full model instead");
    }
    ModelGraph g = model.graph();
    Map<String, Tensor> t = new LinkedHashMap<>(model.tensorMap());
    for (int f = 0; f < spec.fieldCount(); f++) {
      LowRankEmbedding lr = g.lowRankEmbedding(f);
      if (lr == null) {
        continue;
      }
      String p = "emb/" + spec.field(f).name();
      t.remove(p + "/table");
      t.remove(p + "/proj");
      t.remove(p + "/bias");
      int rows = lr.rows();
      int d = lr.dim();
      float[] e = new float[rows * d];
      for (int r = 0; r < rows; r++) {
        lr.lookup(r, e, r * d);
      }
      t.put(p, new Tensor(p, new int[] {rows, d}, e));
    }
    for (int i = 0; i < g.mlpLayers(); i++) {
      replace(t, "mlp/" + i, g.mlp(i), "d");
    }
    for (int i = 0; i < g.crossLayers(); i++) {
      replace(t, "cross/" + i, g.cross(i).map(), "b");
    }
    ModelSpec denseSpec = spec.toBuilder().lowRank(null).build();
    return CtrModel.create(denseSpec, model.name(), model.version(), t, model.vocabularies(), model.metadata());
  }

  private static void replace(Map<String, Tensor> t, String p, AffineLayer layer, String lowRankBias) {
    if (layer instanceof Linear) {
      return;
    }
    LowRankLinear lr = (LowRankLinear) layer;
    int out = lr.outputSize();
    int in = lr.inputSize();
    int k = lr.rank();
    // W = U V and b = U c + d, on the one matrix-multiply stack
    float[] w = new float[out * in];
    float[] b = lr.d().data().clone();
    MatMul mm = MatMuls.get();
    mm.mulAdd(lr.u().data(), out, k, lr.v().data(), in, w);
    mm.mulAdd(lr.u().data(), out, k, lr.c().data(), 1, b);
    t.remove(p + "/v");
    t.remove(p + "/c");
    t.remove(p + "/u");
    t.remove(p + "/" + lowRankBias);
    t.put(p + "/w", new Tensor(p + "/w", new int[] {out, in}, w));
    t.put(p + "/b", new Tensor(p + "/b", new int[] {out}, b));
  }
}
