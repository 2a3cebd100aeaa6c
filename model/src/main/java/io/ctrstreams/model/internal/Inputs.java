package io.ctrstreams.model.internal;

import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;

/** Input validation shared by the scorers: cheap checks, run on every call. */
public final class Inputs {
  private final ModelSpec spec;
  private final int[] contextFields;
  private final int[] candidateFields;
  private final int[] rows;
  private final boolean[] lookup;

  /** Precomputes the per-field checks for {@code spec}. */
  public Inputs(ModelSpec spec) {
    this.spec = spec;
    this.contextFields = spec.fieldsWithRole(FieldSpec.Role.CONTEXT);
    this.candidateFields = spec.fieldsWithRole(FieldSpec.Role.CANDIDATE);
    int nf = spec.fieldCount();
    rows = new int[nf];
    lookup = new boolean[nf];
    for (int f = 0; f < nf; f++) {
      rows[f] = spec.field(f).rows();
      lookup[f] = spec.field(f).isLookup();
    }
  }

  /** Validates the context fields of {@code v}. */
  public void checkContext(FeatureVector v) {
    check(v, contextFields, "context");
  }

  /** Validates the candidate fields of {@code v}. */
  public void checkCandidate(FeatureVector v) {
    check(v, candidateFields, "candidate");
  }

  /** Validates batch arguments, then the context and the first {@code n} candidates. */
  public void checkBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out) {
    if (candidates == null || out == null) {
      throw new CtrModelException("candidates and out must not be null, found " + (candidates == null
          ? "candidates null" : "out null"));
    }
    if (n < 0 || n > candidates.length) {
      throw new CtrModelException("batch size must be in [0, " + candidates.length + "] (candidates length), found "
          + n);
    }
    if (n > out.length) {
      throw new CtrModelException("out must hold the batch size " + n + ", found length " + out.length);
    }
    checkContext(context);
    for (int i = 0; i < n; i++) {
      checkCandidate(candidates[i]);
    }
  }

  private void check(FeatureVector v, int[] fields, String what) {
    if (v == null) {
      throw new CtrModelException(what + " feature vector must not be null");
    }
    if (v.size() != rows.length) {
      throw new CtrModelException(what + " feature vector must have " + rows.length + " fields for model "
          + spec.name() + ", found " + v.size());
    }
    int[] index = v.index();
    float[] value = v.value();
    for (int f : fields) {
      if (lookup[f]) {
        int r = index[f];
        if (r < 0 || r >= rows[f]) {
          throw new CtrModelException("row of field " + spec.field(f).name() + " must be in [0, " + rows[f]
              + "), found " + r);
        }
      } else if (!Float.isFinite(value[f])) {
        throw new CtrModelException("value of SCALED field " + spec.field(f).name() + " must be finite, found "
            + value[f]);
      }
    }
  }
}
