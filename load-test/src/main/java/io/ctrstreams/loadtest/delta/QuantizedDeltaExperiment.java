package io.ctrstreams.loadtest.delta;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.HeldOut;
import io.ctrstreams.trainer.online.TrainerLearner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Experiment (issue 14, fidelity at 40x fewer bytes): is the budget better spent on more values
 * at fewer bits? Same training and probe as {@link DeltaRefreshBench}; each chain keeps the
 * consumers' {@code w} and sends, every interval, the units (embedding rows; blocks of
 * {@value #BLOCK} consecutive values of other tensors) holding the top {@code p} of the model's
 * values by squared residual per value, each unit quantized to {@code b}-bit integers with one
 * binary16 scale ({@code s = max|r| / (2^(b-1) - 1)}, round to nearest), with error feedback:
 * {@code w += q * s}, what is not sent or lost to rounding stays in the residual. Bytes are
 * counted as a wire format would carry them: per tensor an 8-byte header, the sent units as a
 * bitmap or delta varints (whichever is smaller), 2 bytes of scale and {@code ceil(size * b / 8)}
 * bytes of values per unit. No keyframes (the residual ratio is printed).
 *
 * <p>A config is {@code p:bits[:selection[@tableWeight][:scale]]}. Selection (section 6.3): {@code
 * r2} as above; {@code fisher} ranks by {@code sum r^2 f / size} ({@code fisher^a}: {@code f^a}), {@code sqrtf} by {@code sum r^2
 * sqrt(f) / size}, {@code f} the optimizer's mean squared gradient per value ({@link
 * TrainerLearner#meanSquaredGradient}; tables' {@code f} times {@code tableWeight}, default 1).
 * Scale: {@code fp16} (default, 2 bytes per unit), {@code bf16} (2 bytes, as the wire), or {@code
 * logC}, a C-bit code per unit below one bfloat16 maximum per tensor (2 more header bytes), {@code
 * s = max * 2^(-k / 2^(C-3))} rounded up so no integer clips, units bit-packed per tensor; {@code
 * logCm} the same codes, each unit taking the one of least squared error among that code and the
 * next three (smaller scales: the largest integers may clip, error feedback keeps the rest). The
 * {@code entropy B} column is the bytes with the integers at their order-0 entropy per interval
 * (what an ideal static coder would reach).
 *
 * <p>Run: {@code java -Xmx12g -cp load-test/target/classes:... QuantizedDeltaExperiment
 * [intervals=60] [perInterval=3000] [configs=0.05:8,0.2:4:fisher:log4] [models=demo,criteo] [warmup=100000]
 * [trainerSeed=7]} (the trainer's initial weights and dropout; the data stay the same).
 */
public final class QuantizedDeltaExperiment {
  static final int BLOCK = 32;

  private QuantizedDeltaExperiment() {}

  /** How the sent units are chosen. */
  enum Selection {
    /** Largest squared residual per value (what {@code DeltaEncoder} does). */
    R2,
    /** Largest {@code sum r^2 f / size}, {@code f} the optimizer's mean squared gradient per value. */
    FISHER,
    /** Largest {@code sum r^2 sqrt(f) / size}. */
    SQRTF
  }

  /**
   * How a unit's scale travels: {@code fp16}/{@code bf16} = 2 bytes per unit (the first as the
   * experiment of section 6.2, the second as the wire), {@code logC} = a C-bit code {@code k},
   * {@code s = smax * 2^(-k / 2^(C-3))} below one bfloat16 {@code smax} per tensor (rounded up,
   * so no integer clips; about 8 octaves of range whatever C).
   */
  record Config(double p, int bits, Selection sel, double tableWeight, double power, String scale) {
    static Config parse(String s) {
      String[] f = s.split(":");
      Selection sel = Selection.R2;
      double tw = 1;
      double power = 1;
      if (f.length > 2) {
        String[] st = f[2].split("@");
        String[] sp = st[0].split("\\^");
        sel = Selection.valueOf(sp[0].toUpperCase(Locale.ROOT));
        power = sp.length > 1 ? Double.parseDouble(sp[1]) : 1;
        tw = st.length > 1 ? Double.parseDouble(st[1]) : 1;
      }
      String scale = f.length > 3 ? f[3] : "fp16";
      if (!scale.equals("fp16") && !scale.equals("bf16") && !scale.matches("log[3-8]m?")) {
        throw new IllegalArgumentException("scale must be fp16, bf16 or log3..log8, found " + scale);
      }
      return new Config(Double.parseDouble(f[0]), Integer.parseInt(f[1]), sel, tw, power, scale);
    }

    int scaleBits() {
      return scale.startsWith("log") ? scale.charAt(3) - '0' : 16;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "top %4.2f %d-bit %-6s %-5s", p, bits,
          sel.name().toLowerCase(Locale.ROOT) + (power != 1 ? "^" + power : "") + (tableWeight != 1 ? "@" + tableWeight : ""),
          scale);
    }
  }

  /** One chain: top-p units at b bits. */
  private static final class Chain {
    final Config cfg;
    final double p;
    final int bits;
    final float[][] w;
    long bytes;
    double entropyBytes;
    double sumAbs;
    double maxAbs;
    long probes;
    long units;
    long tableValues;
    long denseValues;
    double residual;

    Chain(Config cfg, ModelFile x0) {
      this.cfg = cfg;
      this.p = cfg.p();
      this.bits = cfg.bits();
      List<Tensor> ts = x0.tensors();
      w = new float[ts.size()][];
      for (int t = 0; t < w.length; t++) {
        w[t] = ts.get(t).data().clone();
      }
    }

    ModelFile file(ModelFile template) {
      List<Tensor> ts = new ArrayList<>();
      for (int t = 0; t < w.length; t++) {
        Tensor x = template.tensors().get(t);
        ts.add(new Tensor(x.name(), x.shape(), w[t].clone()));
      }
      return new ModelFile(template.modelName(), template.modelVersion(), template.specJson(), template.metadata(), ts,
          template.stringTables(), template.calibration());
    }

    /**
     * One interval toward {@code x}: returns the bytes sent. {@code sens[t]} = the optimizer's mean
     * squared gradient per value (null entries for tensors without state), {@code table[t]} whether
     * tensor t is an embedding table.
     */
    long step(ModelFile x, int[] unitOf, float[][] sens, boolean[] table) {
      List<Tensor> xs = x.tensors();
      int total = 0;
      int[] unitsOf = new int[w.length];
      for (int t = 0; t < w.length; t++) {
        unitsOf[t] = (w[t].length + unitOf[t] - 1) / unitOf[t];
        total += unitsOf[t];
      }
      float[] score = new float[total];
      int[] size = new int[total];
      int k = 0;
      double x2 = 0;
      for (int t = 0; t < w.length; t++) {
        float[] xv = xs.get(t).data();
        float[] f = sens[t];
        double tw = table[t] ? cfg.tableWeight() : 1;
        int unit = unitOf[t];
        for (int u = 0; u < unitsOf[t]; u++) {
          int from = u * unit;
          int to = Math.min(from + unit, xv.length);
          double s = 0;
          for (int i = from; i < to; i++) {
            double r = xv[i] - w[t][i];
            double r2 = r * r;
            s += switch (cfg.sel()) {
              case R2 -> r2;
              case FISHER -> f == null ? 0 : r2 * (cfg.power() == 1 ? f[i] * tw : Math.pow(f[i] * tw, cfg.power()));
              case SQRTF -> f == null ? 0 : r2 * Math.sqrt(f[i] * tw);
            };
            x2 += (double) xv[i] * xv[i];
          }
          size[k] = to - from;
          score[k++] = (float) (s / (to - from));
        }
      }
      long budget = (long) Math.ceil(p * Arrays.stream(w).mapToLong(a -> a.length).sum());
      Integer[] order = new Integer[total];
      for (int i = 0; i < total; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Float.compare(score[b], score[a]));
      boolean[] send = new boolean[total];
      long taken = 0;
      for (int i = 0; i < total && taken < budget; i++) {
        if (score[order[i]] <= 0) {
          break;
        }
        send[order[i]] = true;
        taken += size[order[i]];
      }
      int levels = (1 << (bits - 1)) - 1;
      boolean log = cfg.scale().startsWith("log");
      int codeBits = cfg.scaleBits();
      int codes = 1 << codeBits;
      double octaveStep = Math.scalb(1.0, -(codeBits - 3));
      long[] hist = new long[2 * levels + 1];
      long sent = 0;
      k = 0;
      int k0 = 0;
      double after = 0;
      for (int t = 0; t < w.length; t++) {
        float[] xv = xs.get(t).data();
        int unit = unitOf[t];
        int n = unitsOf[t];
        // per-tensor largest scale, rounded up to a bfloat16 (log-coded scales sit below it)
        float smax = 0;
        for (int u = 0; u < n; u++) {
          if (send[k0 + u]) {
            int from = u * unit;
            int to = Math.min(from + unit, xv.length);
            for (int i = from; i < to; i++) {
              smax = Math.max(smax, Math.abs(xv[i] - w[t][i]) / levels);
            }
          }
        }
        float smaxB = ValueEncoding.bfloat16(smax);
        if (smaxB < smax) {
          smaxB = Float.intBitsToFloat(Float.floatToRawIntBits(smaxB) + 0x10000);
        }
        k0 += n;
        int count = 0;
        long varint = 0;
        long payloadBits = 0;
        int last = -1;
        for (int u = 0; u < n; u++, k++) {
          int from = u * unit;
          int to = Math.min(from + unit, xv.length);
          if (send[k]) {
            count++;
            varint += varintLength(u - last);
            last = u;
            float m = 0;
            for (int i = from; i < to; i++) {
              m = Math.max(m, Math.abs(xv[i] - w[t][i]));
            }
            float s;
            if (log) {
              float need = m / levels;
              int code = need <= 0 ? codes - 1
                  : (int) Math.min(codes - 1, Math.floor(Math.log(smaxB / need) / Math.log(2) / octaveStep));
              s = (float) (smaxB * Math.pow(2, -code * octaveStep));
              while (code > 0 && s < need) {
                code--;
                s = (float) (smaxB * Math.pow(2, -code * octaveStep));
              }
              if (cfg.scale().endsWith("m")) { // the code of least squared error, clipping allowed
                double best = Double.POSITIVE_INFINITY;
                int bestCode = code;
                for (int c = code; c <= Math.min(codes - 1, code + 3); c++) {
                  float sc = (float) (smaxB * Math.pow(2, -c * octaveStep));
                  double err = 0;
                  for (int i = from; i < to; i++) {
                    float r = xv[i] - w[t][i];
                    int q = Math.max(-levels, Math.min(levels, Math.round(r / sc)));
                    double e = r - q * sc;
                    err += e * e;
                  }
                  if (err < best) {
                    best = err;
                    bestCode = c;
                  }
                }
                code = bestCode;
                s = (float) (smaxB * Math.pow(2, -code * octaveStep));
              }
              payloadBits += codeBits + (long) (to - from) * bits;
            } else {
              s = cfg.scale().equals("bf16") ? ValueEncoding.bfloat16(m / levels) : ValueEncoding.FP16.round(m / levels);
              sent += 2 + ((long) (to - from) * bits + 7) / 8;
            }
            if (s > 0) {
              for (int i = from; i < to; i++) {
                float r = xv[i] - w[t][i];
                int q = Math.max(-levels, Math.min(levels, Math.round(r / s)));
                hist[q + levels]++;
                w[t][i] += q * s;
              }
            }
            if (table[t]) {
              tableValues += to - from;
            } else {
              denseValues += to - from;
            }
          }
          for (int i = from; i < to; i++) {
            float r = xv[i] - w[t][i];
            after += (double) r * r;
          }
        }
        if (count > 0) {
          sent += 8 + Math.min(varint, (n + 7) / 8) + (log ? 2 + (payloadBits + 7) / 8 : 0);
        }
        units += count;
      }
      // order-0 entropy of the integers sent this interval: what an ideal static coder would save
      long values = 0;
      for (long h : hist) {
        values += h;
      }
      double ent = 0;
      for (long h : hist) {
        if (h > 0) {
          ent -= h * (Math.log((double) h / values) / Math.log(2));
        }
      }
      entropyBytes += sent - (values * bits - ent) / 8;
      residual = Math.max(residual, Math.sqrt(after / Math.max(x2, 1e-30)));
      bytes += sent;
      return sent;
    }
  }

  static int varintLength(long v) {
    int n = 1;
    while (v >= 0x80) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  public static void main(String[] args) {
    int intervals = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int perInterval = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    String[] configs = (args.length > 2 ? args[2] : "0.05:8,0.2:4").split(",");
    String[] models = (args.length > 3 ? args[3] : "demo,criteo").split(",");
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 100_000;
    long trainerSeed = args.length > 5 ? Long.parseLong(args[5]) : 7;
    System.out.printf(Locale.ROOT, "quantized deltas: %d intervals of %d examples after %d warm-up, trainer seed %d;"
        + " configs %s%n", intervals, perInterval, warmup, trainerSeed, String.join(",", configs));
    List<String> rows = new ArrayList<>();
    for (String name : models) {
      SyntheticStream stream = new SyntheticStream(DeltaRefreshBench.SEED);
      ModelSpec spec = DeltaRefreshBench.spec(name, stream.schema());
      stream.seek(1L << 40);
      TrainerConfig tc = TrainerConfig.defaults().withBatchSize(256).withThreads(1).withGemm("java").withSeed(trainerSeed);
      TrainerLearner learner = TrainerLearner.fromScratch(spec, tc);
      RawRecord[] batch = new RawRecord[256];
      for (int i = 0; i < batch.length; i++) {
        batch[i] = stream.schema().newRecord();
      }
      DeltaRefreshBench.train(learner, stream, batch, warmup);
      ModelFile x = learner.snapshot().toFile();
      long snapshotBytes = CtrmFormat.toBytes(x).length;
      DeltaState shape = DeltaState.of(x);
      int[] unitOf = new int[shape.tensorCount()];
      for (int t = 0; t < unitOf.length; t++) {
        unitOf[t] = shape.unit(t) > 1 ? shape.unit(t) : BLOCK;
      }
      Chain[] chains = new Chain[configs.length];
      for (int c = 0; c < configs.length; c++) {
        chains[c] = new Chain(Config.parse(configs[c]), x);
      }
      boolean[] table = new boolean[unitOf.length];
      float[][] sens = new float[unitOf.length][];
      for (int t = 0; t < unitOf.length; t++) {
        table[t] = shape.unit(t) > 1;
      }
      FeatureVector[] probe = DeltaRefreshBench.probe(learner.snapshot(), 2_000);
      for (int interval = 1; interval <= intervals; interval++) {
        DeltaRefreshBench.train(learner, stream, batch, perInterval);
        CtrModel xm = learner.snapshot();
        x = xm.toFile();
        for (int t = 0; t < sens.length; t++) {
          float[] f = sens[t] != null ? sens[t] : new float[x.tensors().get(t).size()];
          sens[t] = learner.meanSquaredGradient(shape.name(t), f) ? f : null;
        }
        for (Chain c : chains) {
          c.step(x, unitOf, sens, table);
          if (interval % 10 == 0) {
            double[] diff = DeltaRefreshBench.logitDiff(xm, CtrModel.fromFile(c.file(x)), probe);
            c.sumAbs += diff[0];
            c.maxAbs = Math.max(c.maxAbs, diff[1]);
            c.probes++;
          }
        }
        if (interval % 10 == 0) {
          System.out.printf(Locale.ROOT, "%s interval %d%n", name, interval);
        }
      }
      CtrModel xm = learner.snapshot();
      double aucX = HeldOut.auc(xm, DeltaRefreshBench.SEED, 4000);
      for (Chain c : chains) {
        double aucW = HeldOut.auc(CtrModel.fromFile(c.file(xm.toFile())), DeltaRefreshBench.SEED, 4000);
        double per = (double) c.bytes / intervals;
        double ent = c.entropyBytes / intervals;
        double tv = (double) c.tableValues / intervals;
        double dv = (double) c.denseValues / intervals;
        rows.add(String.format(Locale.ROOT, "%-7s %,11d  %s  %,10.0f  %6.1fx  %,10.0f  %6.1fx  %12.5f  %11.5f  %.5f  %.5f  %.4f  %,8.0f %,8.0f",
            name, snapshotBytes, c.cfg, per, snapshotBytes / per, ent, snapshotBytes / ent, c.sumAbs / c.probes, c.maxAbs,
            aucX, aucW, c.residual, tv, dv));
      }
      learner.close();
    }
    System.out.println();
    System.out.println("model   snapshot B   config                         B/interval   ratio  entropy B   ratio  mean|dlogit|  max|dlogit|  AUC x    AUC w    residual  table/dense values per interval");
    rows.forEach(System.out::println);
  }
}
