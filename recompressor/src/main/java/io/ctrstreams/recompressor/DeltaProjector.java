package io.ctrstreams.recompressor;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns a delta of the full model into a delta of its compressed student, on the student's
 * current factorization (the basis stays; only coordinates move), so scorers refresh between
 * full refactorizations at the cost of a few tiny matrix-vector products per changed row:
 *
 * <ul>
 *   <li><b>Embedding rows</b> of a low-rank field ({@code e ~ t P + mu}, P [k, d]): a changed full
 *       row {@code De} moves the student's row by the least-squares coordinates {@code Dt = De
 *       P^+} with {@code P^+ = P^T (P P^T)^-1} [d, k] (for the AFM/PCA basis, {@code P P^T = I}
 *       and this is {@code De U_k}).
 *   <li><b>Factored layers</b> {@code y = U (V x + c) + d} (no activation between the factors): a
 *       weight change {@code DW} [out, in] moves {@code V} by {@code U^+ DW}, {@code U^+ = (U^T
 *       U)^-1 U^T} [k, out], only in the columns it touches; a bias change {@code Db} is added to
 *       the output bias {@code d} as it is (exact).
 *   <li>Every tensor the student has with the full model's name and shape (kept dense: output
 *       unit, DeepFM first-order weights, uncompressed layers and fields) takes the change as it is.
 * </ul>
 *
 * Anything else (folded embeddings, a ReLU between factors, a tensor the student lacks) cannot be
 * projected: {@link #project} says which tensor, and the caller refactorizes instead. The
 * projection is exact for the components inside the basis; what falls outside is the error the
 * fidelity check measures.
 */
public final class DeltaProjector {
  private final CtrModel student;
  private final Map<String, int[]> fullShapes;
  /** Per low-rank field table name in the full model: P^+ [d, k], row-major. */
  private final Map<String, double[]> embPinv = new HashMap<>();
  /** Per factored layer prefix: U^+ [k, out], row-major. */
  private final Map<String, double[]> layerPinv = new HashMap<>();

  /**
   * A projector onto {@code student}'s basis for deltas of a full model with spec {@code fullSpec}.
   * The student's factors are read once here; deltas never change them.
   */
  public DeltaProjector(ModelSpec fullSpec, CtrModel student) {
    this.student = student;
    this.fullShapes = io.ctrstreams.model.ModelGraph.expectedShapes(fullSpec);
    Map<String, Tensor> st = student.tensorMap();
    for (String name : fullShapes.keySet()) {
      if (name.startsWith("emb/") && !st.containsKey(name) && st.containsKey(name + "/proj")) {
        Tensor p = st.get(name + "/proj");
        embPinv.put(name, rowPinvTransposed(p.data(), p.dim(0), p.dim(1)));
      } else if (name.endsWith("/w") && !st.containsKey(name) && !student.spec().isFactorActivation()) {
        String prefix = name.substring(0, name.length() - 2);
        Tensor u = st.get(prefix + "/u");
        if (u != null && st.get(prefix + "/v").dim(1) == fullShapes.get(name)[1]) {
          layerPinv.put(prefix, columnPinv(u.data(), u.dim(0), u.dim(1)));
        }
      }
    }
  }

  /** The student's tensor updates for {@code full}'s, or the name of a tensor that cannot be projected. */
  public Result project(ModelDelta full) {
    Map<String, Tensor> st = student.tensorMap();
    TreeMap<String, TensorDelta> out = new TreeMap<>();
    for (TensorDelta td : full.tensors()) {
      String n = td.tensor();
      int[] shape = fullShapes.get(n);
      Tensor same = st.get(n);
      if (shape == null) {
        return Result.unprojectable(n + " (not a tensor of the full spec)");
      }
      if (same != null && Arrays.equals(same.shape(), shape)) {
        out.put(n, td);
      } else if (embPinv.containsKey(n)) {
        out.put(n + "/table", projectRows(td, shape[1], embPinv.get(n), st.get(n + "/table").dim(1), n + "/table"));
      } else if (n.endsWith("/w") && layerPinv.containsKey(n.substring(0, n.length() - 2))) {
        String prefix = n.substring(0, n.length() - 2);
        Tensor v = st.get(prefix + "/v");
        out.put(prefix + "/v", projectColumns(td, shape[1], layerPinv.get(prefix), v.dim(0), shape[0], prefix + "/v"));
      } else if (n.endsWith("/b") && layerPinv.containsKey(n.substring(0, n.length() - 2))) {
        String prefix = n.substring(0, n.length() - 2);
        String bias = st.containsKey(prefix + "/d") ? prefix + "/d" : prefix + "/b";
        out.put(bias, new TensorDelta(bias, td.indices(), td.values()));
      } else {
        return Result.unprojectable(n);
      }
    }
    return new Result(List.copyOf(out.values()), null);
  }

  /** {@code Dt[r] = De[r] P^+} for every changed row; {@code pinv} is [d, k]. */
  private static TensorDelta projectRows(TensorDelta td, int d, double[] pinv, int k, String name) {
    int[] rows = td.indices();
    float[] dv = td.values();
    float[] out = new float[rows.length * k];
    for (int j = 0; j < rows.length; j++) {
      for (int r = 0; r < k; r++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          s += dv[j * d + c] * pinv[c * k + r];
        }
        out[j * k + r] = (float) s;
      }
    }
    return new TensorDelta(name, rows.clone(), out);
  }

  /** {@code DV[:, i] = U^+ DW[:, i]} for every touched column i; {@code pinv} is [k, out]. */
  private static TensorDelta projectColumns(TensorDelta td, int in, double[] pinv, int k, int outDim, String name) {
    TreeMap<Integer, double[]> cols = new TreeMap<>();
    int[] idx = td.indices();
    float[] dv = td.values();
    for (int j = 0; j < idx.length; j++) {
      int o = idx[j] / in;
      int i = idx[j] % in;
      double[] acc = cols.computeIfAbsent(i, x -> new double[k]);
      for (int r = 0; r < k; r++) {
        acc[r] += pinv[r * outDim + o] * dv[j];
      }
    }
    int n = cols.size();
    int[] indices = new int[n * k];
    float[] values = new float[n * k];
    int q = 0;
    for (int r = 0; r < k; r++) {
      for (Map.Entry<Integer, double[]> e : cols.entrySet()) {
        indices[q] = r * in + e.getKey();
        values[q++] = (float) e.getValue()[r];
      }
    }
    return new TensorDelta(name, indices, values);
  }

  /** {@code P^T (P P^T)^-1} [d, k] of P [k, d] (rows independent). */
  static double[] rowPinvTransposed(float[] p, int k, int d) {
    double[] g = new double[k * k];
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          s += (double) p[a * d + c] * p[b * d + c];
        }
        g[a * k + b] = s;
      }
    }
    double[] inv = spdInverse(g, k);
    double[] out = new double[d * k];
    for (int c = 0; c < d; c++) {
      for (int r = 0; r < k; r++) {
        double s = 0;
        for (int a = 0; a < k; a++) {
          s += p[a * d + c] * inv[a * k + r];
        }
        out[c * k + r] = s;
      }
    }
    return out;
  }

  /** {@code (U^T U)^-1 U^T} [k, out] of U [out, k] (columns independent). */
  static double[] columnPinv(float[] u, int out, int k) {
    double[] g = new double[k * k];
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        double s = 0;
        for (int o = 0; o < out; o++) {
          s += (double) u[o * k + a] * u[o * k + b];
        }
        g[a * k + b] = s;
      }
    }
    double[] inv = spdInverse(g, k);
    double[] res = new double[k * out];
    for (int r = 0; r < k; r++) {
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int a = 0; a < k; a++) {
          s += inv[r * k + a] * u[o * k + a];
        }
        res[r * out + o] = s;
      }
    }
    return res;
  }

  /**
   * Inverse of a symmetric positive semi-definite k x k matrix by Gauss-Jordan with partial pivoting,
   * with a ridge of 1e-10 x trace/k so a rank-deficient basis gives the minimum-norm-like answer
   * rather than infinities.
   */
  static double[] spdInverse(double[] g, int k) {
    double tr = 0;
    for (int i = 0; i < k; i++) {
      tr += g[i * k + i];
    }
    double ridge = 1e-10 * Math.max(tr / Math.max(k, 1), 1e-30);
    double[] a = g.clone();
    double[] inv = new double[k * k];
    for (int i = 0; i < k; i++) {
      a[i * k + i] += ridge;
      inv[i * k + i] = 1;
    }
    for (int col = 0; col < k; col++) {
      int piv = col;
      for (int r = col + 1; r < k; r++) {
        if (Math.abs(a[r * k + col]) > Math.abs(a[piv * k + col])) {
          piv = r;
        }
      }
      if (piv != col) {
        swapRows(a, k, piv, col);
        swapRows(inv, k, piv, col);
      }
      double diag = a[col * k + col];
      for (int c = 0; c < k; c++) {
        a[col * k + c] /= diag;
        inv[col * k + c] /= diag;
      }
      for (int r = 0; r < k; r++) {
        if (r != col) {
          double f = a[r * k + col];
          if (f != 0) {
            for (int c = 0; c < k; c++) {
              a[r * k + c] -= f * a[col * k + c];
              inv[r * k + c] -= f * inv[col * k + c];
            }
          }
        }
      }
    }
    return inv;
  }

  private static void swapRows(double[] m, int k, int x, int y) {
    for (int c = 0; c < k; c++) {
      double t = m[x * k + c];
      m[x * k + c] = m[y * k + c];
      m[y * k + c] = t;
    }
  }

  /**
   * A projection: the student's updates (in tensor-name order, indices increasing), or why not.
   *
   * @param updates the student's tensor updates when projectable
   * @param unprojectable the first tensor that could not be projected, else null
   */
  public record Result(List<TensorDelta> updates, String unprojectable) {
    static Result unprojectable(String tensor) {
      return new Result(List.of(), tensor);
    }

    /** Whether the delta was projected. */
    public boolean projected() {
      return unprojectable == null;
    }

    /** The reason, if not projected. */
    public Optional<String> reason() {
      return Optional.ofNullable(unprojectable);
    }
  }
}
