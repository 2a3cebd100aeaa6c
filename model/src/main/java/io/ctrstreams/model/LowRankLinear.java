package io.ctrstreams.model;

import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.model.internal.MatMul;
import java.util.Arrays;

/**
 * A factored affine layer {@code y = U act(V x + c) + d} with {@code V} [k, in], {@code c} [k],
 * {@code U} [out, k], {@code d} [out]; {@code act} is the identity (exact AFM form, KDD 2024
 * low-rank paper: layer1 = U_k^T W, U_k^T b; layer2 = U_k, (I - U_k U_k^T) mu) or ReLU (the
 * fine-tuned variant). Costs {@code k (in + out)} multiply-adds instead of {@code in * out}.
 */
public final class LowRankLinear implements AffineLayer {
  private final Tensor vT;
  private final Tensor cT;
  private final Tensor uT;
  private final Tensor dT;
  private final Linear[] factors;
  private final int in;
  private final int rank;
  private final int out;
  private final boolean activation;

  /**
   * Wraps the given tensors (not copied).
   *
   * @param activation whether a ReLU sits between the two factors
   * @throws CtrModelException if the shapes disagree
   */
  public LowRankLinear(Tensor v, Tensor c, Tensor u, Tensor d, boolean activation) {
    if (v.rank() != 2) {
      throw new CtrModelException("tensor " + v.name() + " must be a matrix [k, in], found shape "
          + Arrays.toString(v.shape()));
    }
    this.rank = v.dim(0);
    this.in = v.dim(1);
    if (u.rank() != 2 || u.dim(1) != rank) {
      throw new CtrModelException("tensor " + u.name() + " must have shape [out, " + rank + "], found "
          + Arrays.toString(u.shape()));
    }
    this.out = u.dim(0);
    if (!c.hasShape(rank)) {
      throw new CtrModelException("tensor " + c.name() + " must have shape [" + rank + "], found "
          + Arrays.toString(c.shape()));
    }
    if (!d.hasShape(out)) {
      throw new CtrModelException("tensor " + d.name() + " must have shape [" + out + "], found "
          + Arrays.toString(d.shape()));
    }
    this.vT = v;
    this.cT = c;
    this.uT = u;
    this.dT = d;
    this.factors = new Linear[] {new Linear(v, c), new Linear(u, d)};
    this.activation = activation;
  }

  /** First factor V [k, in]. */
  public Tensor v() {
    return vT;
  }

  /** Bias of the first factor c [k]. */
  public Tensor c() {
    return cT;
  }

  /** Second factor U [out, k]. */
  public Tensor u() {
    return uT;
  }

  /** Output bias d [out]. */
  public Tensor d() {
    return dT;
  }

  /** The rank k. */
  public int rank() {
    return rank;
  }

  @Override
  public boolean hasActivation() {
    return activation;
  }

  /** {@code [V|c, U|d]}. */
  @Override
  public Linear[] factors() {
    return factors;
  }

  @Override
  public int inputSize() {
    return in;
  }

  @Override
  public int outputSize() {
    return out;
  }

  @Override
  public int scratchSize() {
    return rank;
  }

  @Override
  public void forward(float[] x, int xOff, float[] y, int yOff, float[] scratch) {
    Checks.range(vT.name(), "input", x, xOff, in);
    Checks.range(vT.name(), "output", y, yOff, out);
    Checks.range(vT.name(), "scratch", scratch, 0, rank);
    factors[0].forward(x, xOff, scratch, 0, null);
    if (activation) {
      LayerPlan.relu(scratch, rank);
    }
    factors[1].forward(scratch, 0, y, yOff, null);
  }

  @Override
  public void forward(MatMul mm, float[] x, int n, float[] y, float[] mid) {
    factors[0].forward(mm, x, n, mid, null);
    if (activation) {
      LayerPlan.relu(mid, n * rank);
    }
    factors[1].forward(mm, mid, n, y, null);
  }

  @Override
  public long parameterCount() {
    return (long) rank * (in + out) + rank + out;
  }

  @Override
  public long multiplyAdds() {
    return (long) rank * (in + out);
  }

  @Override
  public String toString() {
    return "LowRankLinear[" + in + " -> " + rank + " -> " + out + (activation ? " relu" : "") + "]";
  }
}
