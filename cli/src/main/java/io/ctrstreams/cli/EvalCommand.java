package io.ctrstreams.cli;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.TrainingRun;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RecordReader;
import io.ctrstreams.trainer.data.SyntheticReader;
import io.ctrstreams.trainer.data.SyntheticStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr eval}: scores a Criteo/Avazu file with a .ctrm model through the serving scorer and
 * prints the metrics without the model's calibration map ({@code sigmoid(logit)}), with it, and
 * last {@code auc=<x> logloss=<y> calibration=<z> rows=<n>} of the pCTR the model serves (with
 * the map). Calibration is mean pCTR / observed CTR; ece is the 10-bin expected calibration error.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Evaluate a .ctrm model on a Criteo TSV, Avazu CSV or libfm file, or on rows of the synthetic stream.")
public final class EvalCommand extends ToolCommand {
  @Option(names = "--model", required = true, description = "Model .ctrm file.")
  Path model;

  @Option(names = "--data", description = "Input file (not for synthetic).")
  Path data;

  @Option(names = "--format", required = true,
      description = "criteo | avazu | libfm | synthetic (rows [--from, --from + --rows) of the seed's stream).")
  String format;

  @Option(names = "--seed", defaultValue = "1", description = "Synthetic stream seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--from", defaultValue = "0",
      description = "First row to score (files: the rows before it are skipped; rows past a training run's --rows were"
          + " not seen by it). Default: ${DEFAULT-VALUE}.")
  long from;

  @Option(names = "--rows", defaultValue = "0",
      description = "Rows to score (0 = files: to the end; synthetic: 100000). Default: ${DEFAULT-VALUE}.")
  long rows;

  @Option(names = "--scores-out", description = "Write label<TAB>pctr per row, in input order.")
  Path scoresOut;

  @Override
  void run(PrintWriter out, PrintWriter err) throws IOException {
    CtrModel m = CtrModel.fromFile(CtrmFormat.read(model));
    Scorer scorer = m.scorer();
    FeatureVector fv = m.spec().newFeatureVector();
    double[] p = new double[1024];
    double[] praw = new double[1024];
    boolean[] y = new boolean[1024];
    int n = 0;
    String fmt = format.toLowerCase(Locale.ROOT);
    if (from < 0 || rows < 0) {
      throw new CtrModelException("--from and --rows must be >= 0, found " + from + " and " + rows);
    }
    boolean synthetic = "synthetic".equals(fmt);
    if (!synthetic && data == null) {
      throw new CtrModelException("--data is required for format " + format);
    }
    long limit = rows > 0 ? rows : synthetic ? 100_000 : Long.MAX_VALUE;
    try (RecordReader r = synthetic
            ? new SyntheticReader(new SyntheticStream(seed), from, from + limit)
            : TrainingRun.openFile(fmt, data);
        BufferedWriter w = scoresOut == null ? null : Files.newBufferedWriter(scoresOut, StandardCharsets.UTF_8)) {
      if (r.schema().size() != m.spec().fieldCount()) {
        throw new CtrModelException("model " + m.name() + " has " + m.spec().fieldCount() + " fields, " + format
            + " data has " + r.schema().size());
      }
      for (int f = 0; f < r.schema().size(); f++) {
        if (!r.schema().field(f).name().equals(m.spec().field(f).name())) {
          throw new CtrModelException("model field " + f + " is " + m.spec().field(f).name() + ", " + format
              + " data has " + r.schema().field(f).name());
        }
      }
      RawRecord rec = r.schema().newRecord();
      for (long i = 0; !synthetic && i < from && r.next(rec); i++) {
        // skipped: rows before --from
      }
      long scored = 0;
      while (scored++ < limit && r.next(rec)) {
        Features.encode(m.encoder(), rec, fv);
        float z = scorer.scoreLogit(fv, fv);
        float pc = m.calibration().apply(z);
        if (n == p.length) {
          p = Arrays.copyOf(p, n * 2);
          praw = Arrays.copyOf(praw, n * 2);
          y = Arrays.copyOf(y, n * 2);
        }
        p[n] = pc;
        praw[n] = Scorer.sigmoid(z);
        y[n] = rec.label > 0.5f;
        n++;
        if (w != null) {
          w.write((rec.label > 0.5f ? "1" : "0") + "\t" + pc);
          w.newLine();
        }
      }
    }
    if (n == 0) {
      throw new CtrModelException("no rows in " + (data != null ? data : "the synthetic stream"));
    }
    double[] ps = Arrays.copyOf(p, n);
    double[] pr = Arrays.copyOf(praw, n);
    boolean[] ys = Arrays.copyOf(y, n);
    out.printf(Locale.ROOT, "before map: logloss=%.4f calibration=%.4f ece=%.4f%n", BinaryMetrics.logloss(pr, ys),
        BinaryMetrics.calibration(pr, ys), BinaryMetrics.expectedCalibrationError(pr, ys, 10));
    out.printf(Locale.ROOT, "after map (%s): logloss=%.4f calibration=%.4f ece=%.4f%n", m.calibration(),
        BinaryMetrics.logloss(ps, ys), BinaryMetrics.calibration(ps, ys),
        BinaryMetrics.expectedCalibrationError(ps, ys, 10));
    out.printf(Locale.ROOT, "auc=%.4f logloss=%.4f calibration=%.4f rows=%d%n", BinaryMetrics.auc(ps, ys),
        BinaryMetrics.logloss(ps, ys), BinaryMetrics.calibration(ps, ys), n);
  }
}
