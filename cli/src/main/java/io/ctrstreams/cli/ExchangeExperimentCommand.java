package io.ctrstreams.cli;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.exchange.ExchangeAlgorithm;
import io.ctrstreams.trainer.exchange.ExchangeExperiment;
import io.ctrstreams.trainer.exchange.ShiftScope;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr exchange-experiment}: the in-process data-parallel experiment of issue 15
 * ({@link ExchangeExperiment}) over a grid of worker counts, partitionings and exchange
 * algorithms; prints a progress line per evaluation on err, a Markdown table of the final
 * held-out figures and bytes per round on out, and optionally every curve point as TSV.
 */
@Command(
    name = "exchange-experiment",
    mixinStandardHelpOptions = true,
    description = "Data-parallel training with compressed gradient exchange (EControl, EF, EF21, none,"
        + " uncompressed) on the heterogeneous synthetic stream, in one process; prints held-out"
        + " logloss/AUC and bytes per round per configuration.")
public final class ExchangeExperimentCommand extends ToolCommand {
  @Option(names = "--workers", defaultValue = "1,2,4", split = ",", description = "Worker counts. Default: ${DEFAULT-VALUE}.")
  int[] workers;

  @Option(names = "--algorithms", defaultValue = "uncompressed,none,ef,ef21,econtrol", split = ",",
      description = "Exchange algorithms. Default: ${DEFAULT-VALUE}.")
  List<String> algorithms;

  @Option(names = "--etas", defaultValue = "default", split = ",",
      description = "EControl eta values; 'default' = the compressor's k/d (min over tensors), 'per-tensor' = each"
          + " tensor's own k_t/d_t, 'measured' or 'measured:C' = per tensor and round min(cap, max(k_t/d_t, C *"
          + " delta_t)) with delta_t = 1 - ||x - C(x)||^2 / ||x||^2 measured on the vector the previous round"
          + " compressed (C in (0, 1], default 1; cap: --measured-eta-cap). Default: ${DEFAULT-VALUE}.")
  List<String> etas;

  @Option(names = "--partitioning", defaultValue = "heterogeneous,random", split = ",",
      description = "heterogeneous (by region) and/or random (by row). Default: ${DEFAULT-VALUE}.")
  List<String> partitionings;

  @Option(names = "--ratio", defaultValue = "0.01", description = "Top-k ratio per tensor. Default: ${DEFAULT-VALUE}.")
  double ratio;

  @Option(names = "--values", defaultValue = "fp16", description = "fp16 | fp32 message values. Default: ${DEFAULT-VALUE}.")
  String values;

  @Option(names = "--dense-values",
      description = "Value encoding of the dense tensors: as --values (default), or int8: with --dense-ratio 1 each"
          + " dense tensor travels whole as blocks of 32 8-bit integers with a bfloat16 scale, no indices (ctr trainer:"
          + " exchange.dense.int8; QUALITY.md 5.7).")
  String denseValues;

  @Option(names = "--batch", defaultValue = "256", description = "Examples per worker per round. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--examples", defaultValue = "400000", description = "Training examples per run (all workers). Default: ${DEFAULT-VALUE}.")
  long examples;

  @Option(names = "--eval-every", defaultValue = "100000", description = "Examples between evaluations. Default: ${DEFAULT-VALUE}.")
  long evalEvery;

  @Option(names = "--eval-rows", defaultValue = "20000", description = "Held-out rows. Default: ${DEFAULT-VALUE}.")
  int evalRows;

  @Option(names = "--regions", defaultValue = "8", description = "Regions of the synthetic stream. Default: ${DEFAULT-VALUE}.")
  int regions;

  @Option(names = "--heterogeneity", defaultValue = "1.0", description = "Per-region teacher shift scale. Default: ${DEFAULT-VALUE}.")
  double heterogeneity;

  @Option(names = "--embedding-dim", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
  int embeddingDim;

  @Option(names = "--hash-buckets", defaultValue = "2000", description = "Rows per categorical table. Default: ${DEFAULT-VALUE}.")
  int hashBuckets;

  @Option(names = "--mlp", defaultValue = "64,32", split = ",", description = "Hidden sizes. Default: ${DEFAULT-VALUE}.")
  int[] mlp;

  @Option(names = "--update", defaultValue = "adaptive",
      description = "adaptive (Adam + Adagrad, as the online trainer) | sgd. Default: ${DEFAULT-VALUE}.")
  String update;

  @Option(names = "--learning-rate", defaultValue = "NaN",
      description = "Dense learning rate (Adam's step, or SGD's). Default: the trainer's (1e-3).")
  double learningRate;

  @Option(names = "--embedding-learning-rate", defaultValue = "NaN",
      description = "Table learning rate (Adagrad's, or SGD's). Default: the trainer's (0.05).")
  double embeddingLearningRate;

  @Option(names = "--seed", defaultValue = "1", description = "Data and init seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--seeds",
      description = "Run the whole grid once per seed (e.g. 1-10 or 1,3,5-7; replaces --seed) and print a summary:"
          + " per configuration the mean figures and the mean gap to uncompressed of the same seed with its standard"
          + " error. A single run moves by about 0.001 under a harmless perturbation, so a target of that size is"
          + " judged on the mean (QUALITY.md 5.7).")
  String seeds;

  @Option(names = "--target-gap", defaultValue = "0.001",
      description = "The summary's target: logloss at most this much above uncompressed, AUC at most this much below."
          + " Default: ${DEFAULT-VALUE}.")
  double targetGap;

  @Option(names = "--shift", defaultValue = "all", split = ",",
      description = "Where econtrol's and ef21's shift h acts: all (the paper: every coordinate, every round) |"
          + " touched-rows (a table row's shift only in rounds whose gradient touches the row; masks sent and counted)."
          + " Default: ${DEFAULT-VALUE}.")
  List<String> shifts;

  @Option(names = "--dense-ratio", defaultValue = "NaN",
      description = "Top-k ratio of the dense tensors (the tables use --ratio). Default: --ratio.")
  double denseRatio;

  @Option(names = "--measured-eta-cap", defaultValue = "1",
      description = "Upper bound on a measured eta (--etas measured), in (0, 1]. Default: ${DEFAULT-VALUE}.")
  double measuredEtaCap;

  @Option(names = "--curves", description = "Write every curve point as TSV here.")
  Path curves;

  /**
   * One --etas entry: a fixed eta (NaN: the default), the per-tensor default, or measured with
   * scale {@code measured} (NaN: not measured).
   */
  private record EtaChoice(double eta, boolean perTensor, double measured) {
    String text() {
      if (!Double.isNaN(measured)) {
        return "measured:" + measured;
      }
      return perTensor ? "k_t/d_t" : Double.isNaN(eta) ? "k/d" : Double.toString(eta);
    }
  }

  /** Parses one --etas entry, naming it when it is not a number, 'default', 'per-tensor' or 'measured[:C]'. */
  static EtaChoice parseEta(String e) {
    String x = e.trim().toLowerCase(Locale.ROOT);
    if (x.equals("default")) {
      return new EtaChoice(Double.NaN, false, Double.NaN);
    }
    if (x.equals("per-tensor")) {
      return new EtaChoice(Double.NaN, true, Double.NaN);
    }
    if (x.equals("measured") || x.startsWith("measured:")) {
      double c = 1;
      if (x.length() > "measured".length()) {
        try {
          c = Double.parseDouble(x.substring("measured:".length()));
        } catch (NumberFormatException nfe) {
          c = Double.NaN;
        }
      }
      if (!(c > 0 && c <= 1)) {
        throw new TrainerException("--etas measured:C needs C in (0, 1], found '" + e + "'");
      }
      return new EtaChoice(Double.NaN, false, c);
    }
    double v;
    try {
      v = Double.parseDouble(x);
    } catch (NumberFormatException nfe) {
      throw new TrainerException("--etas must be numbers, 'default', 'per-tensor' or 'measured[:C]', found '" + e
          + "'");
    }
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new TrainerException("--etas values must be finite numbers >= 0, found '" + e + "'");
    }
    return new EtaChoice(v, false, Double.NaN);
  }

  @Override
  void run(PrintWriter out, PrintWriter err) throws IOException {
    ValueEncoding enc = switch (values.toLowerCase(Locale.ROOT)) {
      case "fp16" -> ValueEncoding.FP16;
      case "fp32" -> ValueEncoding.FP32;
      default -> throw new TrainerException("--values must be fp16 or fp32, found '" + values + "'");
    };
    ValueEncoding denseEnc = denseValues == null ? enc : switch (denseValues.toLowerCase(Locale.ROOT)) {
      case "fp16" -> ValueEncoding.FP16;
      case "fp32" -> ValueEncoding.FP32;
      case "int8" -> ValueEncoding.INT8;
      default -> throw new TrainerException("--dense-values must be fp16, fp32 or int8, found '" + denseValues + "'");
    };
    if (denseEnc != enc && !(denseEnc == ValueEncoding.INT8 && denseRatio == 1)) {
      throw new TrainerException("--dense-values " + denseValues + " needs " + (denseEnc == ValueEncoding.INT8
          ? "--dense-ratio 1 (the dense tensors sent whole), found " + denseRatio : "the same encoding as --values "
          + values));
    }
    Trainer.Update upd = switch (update.toLowerCase(Locale.ROOT)) {
      case "adaptive" -> Trainer.Update.ADAPTIVE;
      case "sgd" -> Trainer.Update.SGD;
      default -> throw new TrainerException("--update must be adaptive or sgd, found '" + update + "'");
    };
    List<ExchangeAlgorithm> algs = new ArrayList<>();
    for (String a : algorithms) {
      algs.add(ExchangeAlgorithm.parse(a));
    }
    if (!(measuredEtaCap > 0 && measuredEtaCap <= 1)) {
      throw new TrainerException("--measured-eta-cap must be in (0, 1], found " + measuredEtaCap);
    }
    List<EtaChoice> etaValues = new ArrayList<>();
    for (String e : etas) {
      etaValues.add(parseEta(e));
    }
    List<ExchangeExperiment.Partitioning> parts = new ArrayList<>();
    for (String p : partitionings) {
      try {
        parts.add(ExchangeExperiment.Partitioning.valueOf(p.trim().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException x) {
        throw new TrainerException("--partitioning must be heterogeneous or random, found '" + p + "'");
      }
    }
    List<ShiftScope> scopes = new ArrayList<>();
    for (String sc : shifts) {
      scopes.add(ShiftScope.parse(sc));
    }
    if (!(targetGap >= 0) || Double.isInfinite(targetGap)) {
      throw new TrainerException("--target-gap must be a finite number >= 0, found " + targetGap);
    }
    boolean many = seeds != null;
    long[] seedList = many ? SeedSummary.parseSeeds(seeds) : new long[] {seed};
    out.println((many ? "| seed " : "") + "| workers | partitioning | algorithm | eta | examples | logloss | AUC"
        + " | bytes/round/worker | vs uncompressed | compute s | exchange+update s |");
    out.println((many ? "|---" : "") + "|---|---|---|---|---|---|---|---|---|---|---|");
    out.flush();
    List<SeedSummary.Run> runs = new ArrayList<>();
    try (BufferedWriter cw = curves == null ? null : Files.newBufferedWriter(curves, StandardCharsets.UTF_8)) {
      if (cw != null) {
        cw.write((many ? "seed\t" : "") + "workers\tpartitioning\talgorithm\teta\texamples\tlogloss\tauc\n");
      }
      for (long sd : seedList) {
        runGrid(sd, many, algs, etaValues, parts, scopes, enc, denseEnc, upd, out, err, cw, runs);
      }
    }
    if (many) {
      out.println();
      for (String line : SeedSummary.table(runs, targetGap)) {
        out.println(line);
      }
      out.flush();
    }
  }

  private void runGrid(long sd, boolean many, List<ExchangeAlgorithm> algs, List<EtaChoice> etaValues,
      List<ExchangeExperiment.Partitioning> parts, List<ShiftScope> scopes, ValueEncoding enc, ValueEncoding denseEnc,
      Trainer.Update upd,
      PrintWriter out, PrintWriter err, BufferedWriter cw, List<SeedSummary.Run> runs) throws IOException {
    String seedCell = many ? "| " + sd + " " : "";
    String seedTsv = many ? sd + "\t" : "";
    String seedLine = many ? "seed=" + sd + " " : "";
    for (int n : workers) {
      for (ExchangeExperiment.Partitioning part : parts) {
        if (n == 1 && part != parts.get(0)) {
          continue; // one worker: the partitioning makes no difference
        }
        for (ExchangeAlgorithm alg : algs) {
          boolean hasShift = alg == ExchangeAlgorithm.ECONTROL || alg == ExchangeAlgorithm.EF21;
          for (ShiftScope scope : hasShift ? scopes : List.of(ShiftScope.ALL)) {
            for (EtaChoice eta : alg == ExchangeAlgorithm.ECONTROL ? etaValues
                : List.of(new EtaChoice(Double.NaN, false, Double.NaN))) {
              ExchangeExperiment.Settings s = new ExchangeExperiment.Settings(n, alg, eta.eta(), ratio, enc, part,
                  batch, examples, evalEvery, evalRows, sd, regions, heterogeneity, embeddingDim, hashBuckets, mlp,
                  upd, learningRate, embeddingLearningRate, scope, denseRatio, eta.perTensor(), eta.measured(),
                  measuredEtaCap, denseEnc);
              String algText = alg.configName() + (scope == ShiftScope.ALL ? "" : " (" + scope.configName() + ")");
              ExchangeExperiment.Result r = ExchangeExperiment.run(s, line -> {
                err.println(seedLine + line);
                err.flush();
              });
              String etaText = alg != ExchangeAlgorithm.ECONTROL ? "-" : eta.text();
              String partText = n == 1 ? "-" : part.name().toLowerCase(Locale.ROOT);
              runs.add(new SeedSummary.Run(n, partText, algText, etaText, sd, r.last().logloss(), r.last().auc()));
              out.println(seedCell + String.format(Locale.ROOT, "| %d | %s | %s | %s | %d | %.5f | %.5f | %.0f | 1/%.1f | %.1f | %.1f |",
                  n, partText, algText, etaText, r.last().examples(),
                  r.last().logloss(), r.last().auc(), r.bytesPerRound() / n, r.denseBytesPerRound() / r.bytesPerRound(),
                  r.computeSeconds(), r.exchangeSeconds()));
              out.flush();
              if (cw != null) {
                for (ExchangeExperiment.Point p : r.curve()) {
                  cw.write(seedTsv + String.format(Locale.ROOT, "%d\t%s\t%s\t%s\t%d\t%.6f\t%.6f%n", n,
                      part.name().toLowerCase(Locale.ROOT), algText, etaText, p.examples(), p.logloss(), p.auc()));
                }
                cw.flush();
              }
            }
          }
        }
      }
    }
  }
}
