package io.ctrstreams.recompressor;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.trainer.TrainingRun;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RecordReader;
import io.ctrstreams.trainer.data.SyntheticStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads calibration rows with the trainer's readers and encodes them with the model's own encoder
 * (its vocabularies and hashing), so row ids match the tables being compressed.
 */
public final class CalibrationLoader {
  private CalibrationLoader() {}

  /** Raw Criteo TSV, Avazu CSV or libfm/libsvm lines, at most {@code maxRows} rows. */
  public static Calibration read(CtrModel model, String format, Path file, int maxRows) throws IOException {
    String f = format.toLowerCase(Locale.ROOT);
    if (!f.equals("criteo") && !f.equals("avazu") && !f.equals("libfm")) {
      throw new RecompressorException("calibration file format must be criteo, avazu or libfm, found " + format);
    }
    try (RecordReader reader = TrainingRun.openFile(f, file)) {
      FeatureEncoder enc = model.encoder();
      FeatureVector v = enc.newFeatureVector();
      Calibration c = new Calibration(model.spec().fieldCount(), Math.min(maxRows, 1 << 16));
      RawRecord r = reader.schema().newRecord();
      while (c.rows() < maxRows && reader.next(r)) {
        c.add(enc, r.toMap(), r.label, v);
      }
      return c;
    }
  }

  /**
   * Rows {@code [start, start + rows)} of the synthetic stream with seed {@code seed}: the same
   * hidden teacher as a model trained on that seed, on rows it has not seen when {@code start} is
   * beyond its training rows.
   */
  public static Calibration synthetic(CtrModel model, long seed, long start, int rows) {
    SyntheticStream s = new SyntheticStream(seed);
    s.seek(start);
    FeatureEncoder enc = model.encoder();
    FeatureVector v = enc.newFeatureVector();
    Calibration c = new Calibration(model.spec().fieldCount(), rows);
    RawRecord r = s.schema().newRecord();
    for (int i = 0; i < rows; i++) {
      s.nextInto(r);
      c.add(enc, r.toMap(), r.label, v);
    }
    return c;
  }
}
