package io.ctrstreams.loadtest.delta;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.GroupScale;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.serving.DeltaRecords;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.HeldOut;
import io.ctrstreams.trainer.online.OnlineModels;
import io.ctrstreams.trainer.online.TrainerLearner;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Delta refresh against full snapshots at equal freshness, on real training: a backprop learner
 * trains on the synthetic stream (rows from 2^40, as the online trainer), first {@code warmup}
 * examples, then {@code intervals} refresh intervals of {@code perInterval} examples each (the
 * demo trainer's 3,000 examples/s at a 1 s interval by default: a fixed amount of training per
 * interval, so the figures do not depend on the machine's speed); after each interval its
 * weights {@code x} go through three delta chains (per-tensor top-k with FP32 values, model-wide top-k with FP32
 * and with FP16 values; error feedback), each encoded to the
 * model-deltas wire record, decoded and applied by a consumer that must stay bit-identical (its
 * hash is checked on every delta). The snapshot alternative sends the whole .ctrm every interval.
 * A chain whose residual ratio passes 0.05 gets a keyframe, counted at the snapshot's size.
 * Fidelity: mean |logit(x) - logit(w)| over 2,000 probe rows every 10th interval, and held-out
 * AUC of x and of w (4,000 rows from row 0, never trained on) at the end.
 *
 * <p>Run: {@code java -Xmx12g -cp cli/target/ctr.jar io.ctrstreams.loadtest.delta.DeltaRefreshBench
 * [intervals=60] [perInterval=3000] [ratio=0.01] [models=demo,criteo,large] [warmup=100000]
 * [int3Ratio=0.2] [trainerSeed=7]}; with 1 s intervals, 60 intervals are one minute of refresh. The fourth chain
 * sends 3-bit quantized groups (rows, blocks of 32) at its own top-k ratio (BENCHMARKS.md 6.2); the
 * fifth the same with 4-bit log-coded scales ({@link GroupScale#LOG4}) and the units ranked by
 * the optimizer's mean squared gradient ({@link DeltaEncoder.Selection#FISHER}, BENCHMARKS.md 6.3).
 */
public final class DeltaRefreshBench {
  static final long SEED = 42;
  private static final double KEYFRAME_RATIO = 0.05;

  private DeltaRefreshBench() {}

  /** The models: the demo's, the Criteo-shape one (~19 MB), one with a 10^7 x 16 table. */
  static ModelSpec spec(String name, RawSchema schema) {
    return switch (name) {
      case "demo" -> OnlineModels.spec(schema, "demo", Architecture.DNN, 8, 2_000, new int[] {128, 64});
      case "criteo" -> OnlineModels.spec(schema, "criteo", Architecture.DNN, 16, 11_000, new int[] {400, 400, 400});
      case "large" -> {
        ModelSpec.Builder b = ModelSpec.builder().name("large").architecture(Architecture.DNN).mlp(128, 64);
        boolean first = true;
        for (RawField f : schema.fields()) {
          FieldSpec.Role role = f.context() ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE;
          if (f.numeric()) {
            b.field(FieldSpec.logBucket(f.name(), role, OnlineModels.NUMERIC_BUCKETS, 16));
          } else {
            b.field(FieldSpec.categorical(f.name(), role, 0, first ? 10_000_000 : 1_000, 16));
            first = false;
          }
        }
        yield b.build();
      }
      default -> throw new IllegalArgumentException("model must be demo, criteo or large, found " + name);
    };
  }

  /** One chain's tallies. */
  private static final class Chain {
    final ValueEncoding encoding;
    final DeltaEncoder producer;
    final DeltaApplier consumer = new DeltaApplier();
    long bytes;
    long deltas;
    long keyframes;
    long values;
    double sumAbs;
    double maxAbs;
    long probes;
    long version = 1;

    final DeltaEncoder.Scope scope;
    final String label;

    Chain(String model, ModelFile x0, double ratio, ValueEncoding encoding, DeltaEncoder.Scope scope) {
      this(model, x0, ratio, encoding, scope, GroupScale.BF16, DeltaEncoder.Selection.RESIDUAL);
    }

    Chain(String model, ModelFile x0, double ratio, ValueEncoding encoding, DeltaEncoder.Scope scope, GroupScale gs,
        DeltaEncoder.Selection sel) {
      this.encoding = encoding;
      this.scope = scope;
      this.producer = new DeltaEncoder(model, 1, x0, ratio, encoding, scope, gs, sel);
      this.label = encoding + (gs == GroupScale.LOG4 ? "/log4" : "")
          + (sel == DeltaEncoder.Selection.FISHER ? "/fisher" : "");
      consumer.keyframe(1, x0);
    }
  }

  public static void main(String[] args) {
    int intervals = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int perInterval = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    double ratio = args.length > 2 ? Double.parseDouble(args[2]) : 0.01;
    String[] models = (args.length > 3 ? args[3] : "demo,criteo,large").split(",");
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 100_000;
    double quantizedRatio = args.length > 5 ? Double.parseDouble(args[5]) : 0.2;
    long trainerSeed = args.length > 6 ? Long.parseLong(args[6]) : 7;
    System.out.printf(Locale.ROOT, "delta refresh vs snapshots: %d intervals of %d examples after %d warm-up examples,"
        + " trainer seed %d, top-k %.4f (the INT3 chains %.4f); %s %s, %d cores%n", intervals, perInterval, warmup,
        trainerSeed, ratio, quantizedRatio,
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    List<String> rows = new ArrayList<>();
    for (String m : models) {
      rows.addAll(run(m, intervals, perInterval, ratio, warmup, quantizedRatio, trainerSeed));
    }
    System.out.println();
    System.out.println("per interval: bytes sent per refresh interval (deltas + keyframes) vs one snapshot per interval");
    System.out.println("model   params       snapshot B  scope  enc               keyframes  delta B/interval  ratio   mean|dlogit|  max|dlogit|  AUC x    AUC w    residual");
    rows.forEach(System.out::println);
  }

  private static List<String> run(String name, int intervals, int perInterval, double ratio, int warmup,
      double quantizedRatio, long trainerSeed) {
    SyntheticStream stream = new SyntheticStream(SEED);
    ModelSpec spec = spec(name, stream.schema());
    stream.seek(1L << 40);
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(256).withThreads(1).withGemm("java")
        .withSeed(trainerSeed);
    TrainerLearner learner = TrainerLearner.fromScratch(spec, tc);
    RawRecord[] batch = new RawRecord[256];
    for (int i = 0; i < batch.length; i++) {
      batch[i] = stream.schema().newRecord();
    }
    long t0 = System.nanoTime();
    train(learner, stream, batch, warmup);
    ModelFile x = learner.snapshot().toFile();
    long snapshotBytes = CtrmFormat.toBytes(x).length;
    long params = 0;
    for (var t : x.tensors()) {
      params += t.size();
    }
    System.out.printf(Locale.ROOT, "%s: %,d parameters, snapshot %,d bytes, warm-up %.1f s; %d intervals ...%n", name,
        params, snapshotBytes, (System.nanoTime() - t0) / 1e9, intervals);
    Chain[] chains = {new Chain(name, x, ratio, ValueEncoding.FP32, DeltaEncoder.Scope.TENSOR),
        new Chain(name, x, ratio, ValueEncoding.FP32, DeltaEncoder.Scope.MODEL),
        new Chain(name, x, ratio, ValueEncoding.FP16, DeltaEncoder.Scope.MODEL),
        new Chain(name, x, quantizedRatio, ValueEncoding.INT3, DeltaEncoder.Scope.MODEL),
        new Chain(name, x, quantizedRatio, ValueEncoding.INT3, DeltaEncoder.Scope.MODEL, GroupScale.LOG4,
            DeltaEncoder.Selection.FISHER)};
    float[][] fisher = new float[x.tensors().size()][];
    FeatureVector[] probe = probe(learner.snapshot(), 2_000);
    double[] residual = new double[chains.length];
    for (int interval = 1; interval <= intervals; interval++) {
      train(learner, stream, batch, perInterval);
      CtrModel xm = learner.snapshot();
      x = xm.toFile();
      for (int t = 0; t < fisher.length; t++) {
        var xt = x.tensors().get(t);
        fisher[t] = fisher[t] != null ? fisher[t] : new float[xt.size()];
        if (!learner.meanSquaredGradient(xt.name(), fisher[t])) {
          java.util.Arrays.fill(fisher[t], 0f);
        }
      }
      for (int ci = 0; ci < chains.length; ci++) {
        Chain c = chains[ci];
        ModelDelta d = c.producer.next(x, fisher, interval, (long) interval * perInterval, System.currentTimeMillis());
        byte[] wire = DeltaRecords.encode(d);
        DeltaApplier.Outcome o = c.consumer.apply(DeltaRecords.decode(wire));
        if (o != DeltaApplier.Outcome.APPLIED) {
          throw new IllegalStateException(name + " " + c.encoding + ": delta " + d.sequence() + " " + o);
        }
        c.bytes += wire.length;
        c.deltas++;
        c.values += d.valueCount();
        residual[ci] = Math.max(residual[ci], c.producer.residualRatio());
        if (interval % 10 == 0) {
          CtrModel w = CtrModel.fromFile(c.consumer.state().toFile(x));
          double[] diff = logitDiff(xm, w, probe);
          c.sumAbs += diff[0];
          c.maxAbs = Math.max(c.maxAbs, diff[1]);
          c.probes++;
        }
        if (c.producer.residualRatio() > KEYFRAME_RATIO) {
          c.version++;
          c.producer.keyframe(c.version, x);
          c.consumer.keyframe(c.version, x);
          c.keyframes++;
          c.bytes += snapshotBytes;
        }
      }
    }
    CtrModel xm = learner.snapshot();
    double aucX = HeldOut.auc(xm, SEED, 4000);
    List<String> out = new ArrayList<>();
    for (int ci = 0; ci < chains.length; ci++) {
      Chain c = chains[ci];
      double aucW = HeldOut.auc(CtrModel.fromFile(c.consumer.state().toFile(xm.toFile())), SEED, 4000);
      double perIntervalBytes = (double) c.bytes / intervals;
      out.add(String.format(Locale.ROOT, "%-7s %,11d  %,11d  %-6s %-16s  %9d  %,16.0f  %5.1fx  %12.5f  %11.5f  %.5f  %.5f  %.4f",
          name, params, snapshotBytes, c.scope.name().toLowerCase(Locale.ROOT), c.label, c.keyframes, perIntervalBytes, snapshotBytes / perIntervalBytes,
          c.probes == 0 ? Double.NaN : c.sumAbs / c.probes, c.maxAbs, aucX, aucW, residual[ci]));
    }
    learner.close();
    return out;
  }

  static void train(TrainerLearner learner, SyntheticStream stream, RawRecord[] batch, int examples) {
    for (int done = 0; done < examples; done += batch.length) {
      int n = Math.min(batch.length, examples - done);
      for (int i = 0; i < n; i++) {
        stream.nextInto(batch[i]);
      }
      learner.train(batch, n);
    }
  }

  /** Probe rows (from row 10^12, disjoint from training and held-out rows), encoded for {@code m}. */
  static FeatureVector[] probe(CtrModel m, int n) {
    SyntheticStream s = new SyntheticStream(SEED);
    s.seek(1_000_000_000_000L);
    RawRecord r = s.schema().newRecord();
    FeatureVector[] v = new FeatureVector[n];
    for (int i = 0; i < n; i++) {
      s.nextInto(r);
      v[i] = m.encoder().newFeatureVector();
      Features.encode(m.encoder(), r, v[i]);
    }
    return v;
  }

  /** {mean, max} |logit_a - logit_b| over the probe rows. */
  static double[] logitDiff(CtrModel a, CtrModel b, FeatureVector[] probe) {
    double sum = 0;
    double max = 0;
    for (FeatureVector v : probe) {
      double d = Math.abs(a.scorer().scoreLogit(v, v) - b.scorer().scoreLogit(v, v));
      sum += d;
      max = Math.max(max, d);
    }
    return new double[] {sum / probe.length, max};
  }
}
