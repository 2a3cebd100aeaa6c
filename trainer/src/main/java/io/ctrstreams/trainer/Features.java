package io.ctrstreams.trainer;

import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The standard CTR preprocessing as model fields (FuxiCTR's Criteo_x4 recipe, see papers.md):
 * numeric fields become LOG_BUCKET categories ({@code x > 2 -> floor(ln(x)^2)}, else int(x),
 * missing/negative -> 0), categorical fields either use a vocabulary built on the training split
 * (values under the min count share the OOV rows) or hash into a fixed number of buckets.
 * Encoding goes through the core's {@link FeatureEncoder}, the same code the serving path runs.
 */
public final class Features {
  /** Log-bucket table size: ln(x)^2 reaches 429 at x = 1e9, larger counts clip into the last row. */
  public static final int NUMERIC_BUCKETS = 512;

  private Features() {}

  /**
   * Model fields for {@code schema}.
   *
   * @param vocab vocabulary per categorical field (vocabulary mode), or null for hashing mode
   * @param hashBuckets rows per categorical field in hashing mode
   * @param oovBuckets OOV rows per categorical field in vocabulary mode
   * @param embeddingDim embedding dim of every field
   */
  public static List<FieldSpec> fieldSpecs(RawSchema schema, Map<String, List<String>> vocab, int hashBuckets,
      int oovBuckets, int embeddingDim) {
    List<FieldSpec> out = new ArrayList<>();
    for (RawField f : schema.fields()) {
      FieldSpec.Role role = f.context() ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE;
      if (f.numeric()) {
        out.add(FieldSpec.logBucket(f.name(), role, NUMERIC_BUCKETS, embeddingDim));
      } else if (vocab == null) {
        out.add(FieldSpec.categorical(f.name(), role, 0, hashBuckets, embeddingDim));
      } else {
        List<String> v = vocab.get(f.name());
        out.add(FieldSpec.categorical(f.name(), role, v == null ? 0 : v.size(), oovBuckets, embeddingDim));
      }
    }
    return out;
  }

  /** Encodes a raw record whose schema order equals the model's field order. */
  public static void encode(FeatureEncoder enc, RawRecord r, FeatureVector out) {
    RawSchema s = r.schema();
    for (int f = 0; f < s.size(); f++) {
      if (s.field(f).numeric()) {
        double x = r.number[f];
        if (Double.isNaN(x)) {
          enc.encodeMissing(f, out);
        } else {
          enc.encodeField(f, x, out);
        }
      } else {
        enc.encodeField(f, r.category[f], out);
      }
    }
  }
}
