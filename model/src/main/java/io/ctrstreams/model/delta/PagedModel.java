package io.ctrstreams.model.delta;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.internal.FastScorer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A served model that follows a delta chain without pausing and without copying itself: an
 * immutable value whose {@link #apply} returns the next one. Field tables ({@code emb/<field>}, {@code emb/<field>/table})
 * are {@link RowPages} shared copy-on-write, so a delta that changes {@code k} rows copies at
 * most {@code k} pages of {@link RowPages#PAGE_ROWS} rows; every other tensor a delta touches is
 * copied whole (they are the small dense layers); the optimized scorer is rebuilt over the new
 * tables (sharing every prepared layer when no dense tensor changed). The chain rules and the
 * outcomes are {@link DeltaApplier}'s: base, sequence, indices, and afterwards the 64-bit hash of
 * {@link DeltaState}, computed incrementally over the changed elements in canonical tensor order
 * ({@link DeltaState#of(CtrModel)} is the producer's matching state). A refused delta leaves this
 * value as it was: nothing is undone because nothing shared was written.
 *
 * <p>{@link #keyframe()} is the model the chain started from: its spec, encoder and vocabularies
 * serve every link, but its table tensors are the keyframe's values; the current weights are
 * {@link #scorer()} (and {@link #materialize()}, which copies them).
 */
public final class PagedModel {
  private final CtrModel keyframe;
  private final long baseVersion;
  private final long sequence;
  private final long lastCreatedAtMs;
  private final String[] names;
  private final int[][] shapes;
  private final int[] unit;
  /** Current values of every tensor that is not a field table (null where it is one). */
  private final Tensor[] dense;
  /** Current field tables by tensor position (null elsewhere). */
  private final RowPages[] paged;
  /** Field ordinal of each field-table tensor, -1 elsewhere. */
  private final int[] field;
  private final long hash;
  private final FastScorer scorer;

  private PagedModel(CtrModel keyframe, long baseVersion, long sequence, long lastCreatedAtMs, String[] names,
      int[][] shapes, int[] unit, Tensor[] dense, RowPages[] paged, int[] field, long hash, FastScorer scorer) {
    this.keyframe = keyframe;
    this.baseVersion = baseVersion;
    this.sequence = sequence;
    this.lastCreatedAtMs = lastCreatedAtMs;
    this.names = names;
    this.shapes = shapes;
    this.unit = unit;
    this.dense = dense;
    this.paged = paged;
    this.field = field;
    this.hash = hash;
    this.scorer = scorer;
  }

  /** The start of the chain of keyframe {@code baseVersion} (no copy: pages are windows on its tensors). */
  public static PagedModel of(CtrModel keyframe, long baseVersion) {
    ModelSpec spec = keyframe.spec();
    int n = keyframe.tensorMap().size();
    String[] names = new String[n];
    int[][] shapes = new int[n][];
    int[] unit = new int[n];
    Tensor[] dense = new Tensor[n];
    RowPages[] paged = new RowPages[n];
    int[] field = new int[n];
    float[][] values = new float[n][];
    RowPages[] byField = new RowPages[spec.fieldCount()];
    int t = 0;
    for (Tensor x : keyframe.tensors()) {
      names[t] = x.name();
      shapes[t] = x.shape();
      unit[t] = DeltaState.unitOf(x.name(), x.shape());
      values[t] = x.data();
      field[t] = tableField(spec, x);
      if (field[t] >= 0) {
        paged[t] = RowPages.of(x.data(), x.dim(0), x.dim(1));
        byField[field[t]] = paged[t];
      } else {
        dense[t] = x;
      }
      t++;
    }
    FastScorer scorer = FastScorer.paged(keyframe, keyframe.graph(), byField);
    return new PagedModel(keyframe, baseVersion, 0, 0, names, shapes, unit, dense, paged, field,
        DeltaState.hashOf(values), scorer);
  }

  /** The field whose lookup table {@code x} is ({@code emb/<field>} dense, {@code emb/<field>/table} low-rank), or -1. */
  private static int tableField(ModelSpec spec, Tensor x) {
    String n = x.name();
    if (x.rank() != 2 || !n.startsWith("emb/")) {
      return -1;
    }
    String f = n.substring(4);
    if (spec.hasField(f)) {
      return spec.fieldOrdinal(f);
    }
    if (!f.endsWith("/table")) {
      return -1;
    }
    f = f.substring(0, f.length() - 6);
    return spec.hasField(f) ? spec.fieldOrdinal(f) : -1;
  }

  /** What {@link #apply} did, and the model to serve afterwards ({@code this} unless applied). */
  public record Result(Outcome outcome, PagedModel model) {}

  /** Checks {@code d} against the chain and, when it fits, returns the model with it applied. */
  public Result apply(ModelDelta d) {
    if (d.baseVersion() > baseVersion) {
      return refused(Outcome.UNKNOWN_BASE);
    }
    if (d.baseVersion() < baseVersion) {
      return refused(Outcome.OLD_BASE);
    }
    if (d.sequence() <= sequence) {
      return refused(Outcome.DUPLICATE);
    }
    if (d.sequence() != sequence + 1) {
      return refused(Outcome.GAP);
    }
    List<TensorDelta> tds = d.tensors();
    int[] pos = new int[tds.size()];
    for (int j = 0; j < pos.length; j++) {
      TensorDelta td = tds.get(j);
      int t = indexOf(td.tensor());
      if (t < 0 || !DeltaApplier.valid(td, unit[t], elements(t) / unit[t])) {
        return refused(Outcome.MALFORMED);
      }
      pos[j] = t;
    }
    Tensor[] nd = dense.clone();
    RowPages[] np = paged.clone();
    RowPages[] changedTables = new RowPages[keyframe.spec().fieldCount()];
    boolean denseChanged = false;
    long[] h = {hash};
    for (int j = 0; j < pos.length; j++) {
      TensorDelta td = tds.get(j);
      int t = pos[j];
      if (np[t] != null) {
        np[t] = np[t].withAdded(td.indices(), td.values(),
            (e, before, after) -> h[0] += DeltaState.term(t, e, after) - DeltaState.term(t, e, before));
        changedTables[field[t]] = np[t];
      } else {
        float[] v = nd[t].data().clone();
        int u = unit[t];
        int[] idx = td.indices();
        float[] add = td.values();
        long hh = h[0];
        for (int k = 0; k < idx.length; k++) {
          int base = idx[k] * u;
          for (int c = 0; c < u; c++) {
            int i = base + c;
            float before = v[i];
            float after = before + add[k * u + c];
            hh += DeltaState.term(t, i, after) - DeltaState.term(t, i, before);
            v[i] = after;
          }
        }
        h[0] = hh;
        nd[t] = new Tensor(names[t], shapes[t], v);
        denseChanged = true;
      }
    }
    if (h[0] != d.hashAfter()) {
      return refused(Outcome.HASH_MISMATCH);
    }
    FastScorer next;
    if (denseChanged) {
      Map<String, Tensor> m = new LinkedHashMap<>();
      RowPages[] byField = new RowPages[changedTables.length];
      for (int t = 0; t < names.length; t++) {
        m.put(names[t], nd[t] != null ? nd[t] : keyframe.tensor(names[t]));
        if (np[t] != null) {
          byField[field[t]] = np[t];
        }
      }
      next = FastScorer.paged(keyframe, ModelGraph.of(keyframe.spec(), m), byField);
    } else {
      next = scorer.withTables(changedTables);
    }
    return new Result(Outcome.APPLIED, new PagedModel(keyframe, baseVersion, d.sequence(), d.createdAtMs(), names,
        shapes, unit, nd, np, field, h[0], next));
  }

  private Result refused(Outcome o) {
    return new Result(o, this);
  }

  private int elements(int t) {
    return paged[t] != null ? paged[t].rows() * paged[t].width() : dense[t].size();
  }

  private int indexOf(String name) {
    for (int t = 0; t < names.length; t++) {
      if (names[t].equals(name)) {
        return t;
      }
    }
    return -1;
  }

  /** The optimized scorer of the current weights (thread-safe). */
  public Scorer scorer() {
    return scorer;
  }

  /** The model the chain started from (spec, encoder, vocabularies; its tables hold the keyframe's values). */
  public CtrModel keyframe() {
    return keyframe;
  }

  /** Version of the chain's keyframe. */
  public long baseVersion() {
    return baseVersion;
  }

  /** Sequence of the last applied delta, 0 at the keyframe. */
  public long sequence() {
    return sequence;
  }

  /** Creation time of the last applied delta (ms since the epoch), 0 at the keyframe. */
  public long lastCreatedAtMs() {
    return lastCreatedAtMs;
  }

  /** {@link DeltaState#hash()} of the current weights. */
  public long hash() {
    return hash;
  }

  /** The current table of tensor {@code name}, or null when it is not a field table. */
  public RowPages table(String name) {
    int t = indexOf(name);
    return t < 0 ? null : paged[t];
  }

  /** A copy of the current weights as a model (same name, version, metadata and calibration as the keyframe). */
  public CtrModel materialize() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (int t = 0; t < names.length; t++) {
      m.put(names[t], paged[t] != null ? new Tensor(names[t], shapes[t], paged[t].toArray())
          : new Tensor(names[t], shapes[t], dense[t].data().clone()));
    }
    return CtrModel.create(keyframe.spec(), keyframe.name(), keyframe.version(), m, keyframe.vocabularies(),
        keyframe.metadata()).withCalibration(keyframe.calibration());
  }

  @Override
  public String toString() {
    return "PagedModel[" + keyframe.name() + " base v" + baseVersion + " seq " + sequence + "]";
  }
}
