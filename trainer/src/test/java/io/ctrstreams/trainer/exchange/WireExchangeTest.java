package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import org.junit.jupiter.api.Test;

/**
 * The wire path of {@code ctr trainer} ({@link WireExchange}: worker, record encoding with the
 * row masks, decoding, aggregation; what {@link DataParallelTrainer} runs between its gradient
 * and its optimizer step) against the in-process exchange of {@code ctr exchange-experiment}
 * ({@link InProcessExchange}), with the real backprop on the synthetic stream: n replicas, each
 * with its own {@link Trainer} and its own worker, exchange encoded records; the in-process run
 * has one trainer for all. Every round every replica's estimate must equal the in-process one bit
 * for bit, and at the end every replica's weights hash equals the in-process model's. Kafka itself
 * (transport, rebalances) is {@code DataParallelTrainerIT}'s.
 */
class WireExchangeTest {
  private static final long SEED = 1515L;
  private static final int ROUND_EXAMPLES = 64;
  private static final int ROUNDS = 40;

  private record Case(ExchangeAlgorithm algorithm, ShiftScope scope, double ratio, double denseRatio,
      boolean tensorEta, double measuredScale, ValueEncoding denseValues) {
    Case(ExchangeAlgorithm algorithm, ShiftScope scope, double ratio, double denseRatio, boolean tensorEta,
        double measuredScale) {
      this(algorithm, scope, ratio, denseRatio, tensorEta, measuredScale, ValueEncoding.FP16);
    }

    Case(ExchangeAlgorithm algorithm, ShiftScope scope, double ratio, double denseRatio, boolean tensorEta) {
      this(algorithm, scope, ratio, denseRatio, tensorEta, Double.NaN);
    }

    Case(ExchangeAlgorithm algorithm, ShiftScope scope, double ratio, double denseRatio) {
      this(algorithm, scope, ratio, denseRatio, false);
    }
  }

  @Test
  void shouldTrainTheSameModelBitForBitAsTheInProcessExchange() {
    Case[] cases = {
        new Case(ExchangeAlgorithm.ECONTROL, ShiftScope.TOUCHED_ROWS, 0.04, 0.15),
        new Case(ExchangeAlgorithm.ECONTROL, ShiftScope.TOUCHED_ROWS, 0.04, 0.15, true),
        new Case(ExchangeAlgorithm.ECONTROL, ShiftScope.TOUCHED_ROWS, 0.04, 0.15, true, 0.2),
        new Case(ExchangeAlgorithm.ECONTROL, ShiftScope.TOUCHED_ROWS, 0.04, 1, true, 0.2, ValueEncoding.INT8),
        new Case(ExchangeAlgorithm.EF, ShiftScope.ALL, 0.04, 1, false, Double.NaN, ValueEncoding.INT8),
        new Case(ExchangeAlgorithm.ECONTROL, ShiftScope.ALL, 0.04, 0.04),
        new Case(ExchangeAlgorithm.EF21, ShiftScope.TOUCHED_ROWS, 0.04, 0.15),
        new Case(ExchangeAlgorithm.EF, ShiftScope.ALL, 0.02, 0.1),
        new Case(ExchangeAlgorithm.UNCOMPRESSED, ShiftScope.ALL, 1, 1)};
    for (Case c : cases) {
      run(c, 3);
    }
  }

  private static void run(Case c, int n) {
    SyntheticStream stream = new SyntheticStream(SEED, 4, 1.0);
    ModelSpec spec = OnlineModels.spec(stream.schema(), "wire", Architecture.DNN, 4, 50, new int[] {8});
    CtrModel init = CtrModel.random(spec, SEED);
    FeatureEncoder enc = init.encoder();
    FeatureVector fv = enc.newFeatureVector();
    RawRecord rec = stream.schema().newRecord();
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(ROUND_EXAMPLES).withThreads(1).withGemm("java")
        .withSeed(SEED);
    Trainer single = new Trainer(init, tc);
    Trainer[] replicas = new Trainer[n];
    for (int r = 0; r < n; r++) {
      replicas[r] = new Trainer(init, tc);
    }
    try {
      ParamLayout.Builder lb = ParamLayout.builder();
      for (Trainer.FlatTensor t : single.flatLayout()) {
        lb.add(t.name(), t.length(), t.unit());
      }
      ParamLayout layout = lb.build();
      int d = layout.size();
      InProcessExchange ex = new InProcessExchange(c.algorithm(), layout, n, c.ratio(), c.denseRatio(),
          ValueEncoding.FP16, c.denseValues(), Double.NaN, c.scope(), c.tensorEta(), c.measuredScale(), 1);
      WireExchange[] wires = new WireExchange[n];
      for (int r = 0; r < n; r++) {
        wires[r] = new WireExchange(c.algorithm(), layout, n, c.ratio(), c.denseRatio(), ValueEncoding.FP16,
            c.denseValues(), Double.NaN, c.scope(), c.tensorEta(), c.measuredScale());
      }
      Batch[] batches = new Batch[n];
      for (int w = 0; w < n; w++) {
        batches[w] = new Batch(spec.fieldCount(), ROUND_EXAMPLES);
      }
      float[][] grads = new float[n][d];
      float[] est = new float[d];
      float[] g = new float[d];
      float[] wireEst = new float[d];
      byte[][] records = new byte[n][];
      boolean untouchedSeen = false;
      long row = ExchangeExperiment.TRAINING_START_ROW;
      for (int round = 0; round < ROUNDS; round++) {
        for (int w = 0; w < n; w++) { // worker w: its own rows (region w mod 4): heterogeneous
          batches[w].clear();
          while (batches[w].size() < ROUND_EXAMPLES) {
            if (stream.regionOf(row) % n == w) {
              stream.row(row, rec);
              fv.clear();
              Features.encode(enc, rec, fv);
              batches[w].add(fv, rec.label, Float.NaN);
            }
            row++;
          }
          single.gradient(batches[w], grads[w]);
        }
        ex.round(grads, est);
        single.applyGradient(est, Trainer.Update.ADAPTIVE);

        for (int r = 0; r < n; r++) { // every replica computes its own worker's gradient at its own weights
          replicas[r].gradient(batches[r], g);
          records[r] = wires[r].send(g, 1, round, r, replicas[r].weightsHash());
          // the worker counts k units per tensor; the record leaves out units that are all zero after
          // rounding (dead ReLU columns, fp16 underflow), so it is at most that
          int flags = c.denseValues() == ValueEncoding.INT8 ? 1 : 0; // version 3's flags byte
          assertTrue(records[r].length <= ExchangeMessage.OVERHEAD + flags + wires[r].lastPayloadBytes(),
              c + ": record of " + records[r].length + " bytes, counted " + wires[r].lastPayloadBytes());
          assertEquals(ex.message(r).length, d);
          if (wires[r].worker().touched() != null) {
            for (boolean m : wires[r].worker().touched()) {
              untouchedSeen |= !m;
            }
          }
        }
        for (int r = 0; r < n; r++) {
          ExchangeMessage[] all = wires[r].receive(records);
          for (int i = 0; i < n; i++) {
            assertEquals(all[0].weightsHash(), all[i].weightsHash(), c + ": replicas agree at round " + round);
            if (c.scope() == ShiftScope.TOUCHED_ROWS) {
              assertNotNull(all[i].touched(), "touched-rows messages carry masks");
            } else {
              assertNull(all[i].touched());
            }
          }
          wires[r].estimate(all, wireEst);
          for (int j = 0; j < d; j++) {
            if (Float.floatToRawIntBits(est[j]) != Float.floatToRawIntBits(wireEst[j])) {
              throw new AssertionError(c + ": replica " + r + " estimate differs from in-process at round " + round
                  + ", value " + j + ": " + wireEst[j] + " vs " + est[j]);
            }
          }
          replicas[r].applyGradient(wireEst, Trainer.Update.ADAPTIVE);
        }
      }
      for (int r = 0; r < n; r++) {
        assertEquals(single.weightsHash(), replicas[r].weightsHash(), c + ": replica " + r + " = in-process model");
      }
      if (c.scope() == ShiftScope.TOUCHED_ROWS) {
        assertTrue(untouchedSeen, "some table rows untouched: the masks matter in this test");
      }
      if (!Double.isNaN(c.measuredScale())) { // the measured eta moved off its floor: not per-tensor under another name
        double[] etas = wires[0].worker().tensorEtas();
        TopKCompressor floor = new TopKCompressor(layout, c.ratio(), c.denseRatio(), ValueEncoding.FP16);
        boolean above = false;
        for (int t = 0; t < etas.length; t++) {
          above |= etas[t] > ExchangeAlgorithm.defaultEta(floor.contraction(t));
        }
        assertTrue(above, c + ": measured etas " + java.util.Arrays.toString(etas));
      }
    } finally {
      single.close();
      for (Trainer t : replicas) {
        t.close();
      }
    }
  }

  @Test
  void shouldRefuseAGroupThatDisagreesOnInt8DenseTensors() {
    ParamLayout layout = ParamLayout.builder().add("w", 40, 1).add("t", 20, 2).build();
    WireExchange int8 = new WireExchange(ExchangeAlgorithm.ECONTROL, layout, 2, 0.2, 1, ValueEncoding.FP16,
        ValueEncoding.INT8, Double.NaN, ShiftScope.ALL, false, Double.NaN);
    WireExchange fp16 = new WireExchange(ExchangeAlgorithm.ECONTROL, layout, 2, 0.2, 1, ValueEncoding.FP16,
        Double.NaN, ShiftScope.ALL);
    float[] g = new float[layout.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = (i % 7) - 3;
    }
    byte[][] round = {int8.send(g, 1, 0, 0, 9), fp16.send(g, 1, 0, 1, 9)};
    assertEquals(3, java.nio.ByteBuffer.wrap(round[0]).getShort(4), "int8 dense tensors: record version 3");
    TrainerException e = assertThrows(TrainerException.class, () -> int8.receive(round));
    assertTrue(e.getMessage().contains("slot 1") && e.getMessage().contains("exchange.dense.int8"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> fp16.receive(round));
    assertTrue(e.getMessage().contains("slot 0") && e.getMessage().contains("exchange.dense.int8"), e.getMessage());
  }

  @Test
  void shouldRefuseAGroupThatDisagreesOnTheShiftScope() {
    ParamLayout layout = ParamLayout.builder().add("w", 4, 1).add("t", 20, 2).build();
    WireExchange rows = new WireExchange(ExchangeAlgorithm.ECONTROL, layout, 2, 0.2, 0.5, ValueEncoding.FP32,
        Double.NaN, ShiftScope.TOUCHED_ROWS);
    WireExchange all = new WireExchange(ExchangeAlgorithm.ECONTROL, layout, 2, 0.2, 0.5, ValueEncoding.FP32,
        Double.NaN, ShiftScope.ALL);
    float[] g = new float[layout.size()];
    g[0] = 1f;
    g[5] = 2f;
    byte[][] round = {rows.send(g, 1, 0, 0, 9), all.send(g, 1, 0, 1, 9)};
    TrainerException e = assertThrows(TrainerException.class, () -> rows.receive(round));
    assertTrue(e.getMessage().contains("slot 1") && e.getMessage().contains("exchange.shift"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> all.receive(round));
    assertTrue(e.getMessage().contains("slot 0") && e.getMessage().contains("scope is all")
        && e.getMessage().contains("exchange.shift"), e.getMessage());
  }
}
