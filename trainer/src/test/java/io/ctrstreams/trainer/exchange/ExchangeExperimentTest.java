package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExchangeExperimentTest {

  private static ExchangeExperiment.Settings settings(int n, ExchangeAlgorithm alg, ExchangeExperiment.Partitioning p) {
    return new ExchangeExperiment.Settings(n, alg, Double.NaN, 0.01, ValueEncoding.FP16, p, 128, 12_800, 6_400, 2_000,
        3, 8, 1.0, 4, 200, new int[] {16}, Trainer.Update.ADAPTIVE);
  }

  @Test
  void shouldLearnAndCountBytesOfEveryRound() {
    List<String> lines = new ArrayList<>();
    ExchangeExperiment.Result un = ExchangeExperiment.run(
        settings(2, ExchangeAlgorithm.UNCOMPRESSED, ExchangeExperiment.Partitioning.HETEROGENEOUS), lines::add);
    assertEquals(3, un.curve().size(), "evaluations at 0, 6400 and 12800 examples");
    assertEquals(3, lines.size());
    assertEquals(50, un.rounds());
    assertEquals(un.denseBytesPerRound(), un.bytesPerRound(), 0.0, "uncompressed sends every value as fp32");
    assertTrue(un.last().logloss() < un.curve().get(0).logloss(), "held-out logloss should fall: " + un.curve());
    ExchangeExperiment.Result ec = ExchangeExperiment.run(
        settings(2, ExchangeAlgorithm.ECONTROL, ExchangeExperiment.Partitioning.HETEROGENEOUS), l -> { });
    assertTrue(ec.bytesPerRound() * 30 <= un.bytesPerRound(),
        "top-1% with fp16 values: " + ec.bytesPerRound() + " bytes vs " + un.bytesPerRound());
    assertTrue(ec.last().logloss() < ec.curve().get(0).logloss(), "econtrol should learn: " + ec.curve());
    assertTrue(ec.finalErrorNorm() > 0 && ec.finalShiftNorm() > 0);
  }

  @Test
  void shouldRejectMoreWorkersThanRegionsForHeterogeneousPartitioning() {
    TrainerException e = assertThrows(TrainerException.class, () -> new ExchangeExperiment.Settings(4,
        ExchangeAlgorithm.EF, Double.NaN, 0.01, ValueEncoding.FP16, ExchangeExperiment.Partitioning.HETEROGENEOUS, 128,
        12_800, 6_400, 2_000, 3, 2, 1.0, 4, 200, new int[] {16}, Trainer.Update.ADAPTIVE));
    assertTrue(e.getMessage().contains("2 regions for 4 workers"), e.getMessage());
  }
}
