package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;

/**
 * One replica's exchange over the wire, as {@link DataParallelTrainer} runs it between reading a
 * round's examples and applying the estimate: its worker turns {@code g_i} into the record value
 * of {@code D_i} (with the touched-row masks for {@link ShiftScope#TOUCHED_ROWS}), and from the
 * round's record values of every slot its aggregator forms {@code hbar + Dbar}. The same float
 * operations in the same order as {@link InProcessExchange}, so a replica computes the estimate
 * the in-process experiment does for the same gradients (tested bit for bit). No allocation per
 * round but the message bytes.
 */
final class WireExchange {
  private final ParamLayout layout;
  private final ExchangeWorker worker;
  private final ExchangeAggregator aggregator;
  private final ValueEncoding encoding;
  private final boolean denseInt8;
  private final float[] message;
  private final float[][] slotValues;
  private final boolean[][] slotMasks;
  private long lastPayloadBytes;

  /**
   * A replica of a group of {@code workers}.
   *
   * @param ratio top-k ratio of the tables (and of the dense tensors when {@code denseRatio} is
   *     the same)
   * @param eta EControl's eta; NaN = {@link ExchangeAlgorithm#defaultEta} of the compressor
   */
  WireExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int workers, double ratio, double denseRatio,
      ValueEncoding values, double eta, ShiftScope scope) {
    this(algorithm, layout, workers, ratio, denseRatio, values, eta, scope, false);
  }

  /**
   * With {@code tensorEta} and a default eta (NaN), EControl's eta per tensor is {@code k_t /
   * units_t}, as {@link InProcessExchange} does it.
   */
  WireExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int workers, double ratio, double denseRatio,
      ValueEncoding values, double eta, ShiftScope scope, boolean tensorEta) {
    this(algorithm, layout, workers, ratio, denseRatio, values, eta, scope, tensorEta, Double.NaN);
  }

  /**
   * With {@code measuredScale} (not NaN) and a default eta, EControl's eta per tensor and round is
   * {@code min(1, max(k_t / units_t, measuredScale * delta_t))} from the contraction {@code
   * delta_t} measured in the previous round ({@link ExchangeWorker#useMeasuredEtas}); only this
   * worker's own error return changes, so replicas with different settings still agree bit for
   * bit on the estimate of the same messages.
   */
  WireExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int workers, double ratio, double denseRatio,
      ValueEncoding values, double eta, ShiftScope scope, boolean tensorEta, double measuredScale) {
    this(algorithm, layout, workers, ratio, denseRatio, values, values, eta, scope, tensorEta, measuredScale);
  }

  /**
   * With the dense tensors' own encoding: {@link ValueEncoding#INT8} (with {@code denseRatio = 1})
   * sends them whole as int8 blocks (record version 3, {@link ExchangeMessage}); ignored by
   * {@code uncompressed}.
   */
  WireExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int workers, double ratio, double denseRatio,
      ValueEncoding values, ValueEncoding denseValues, double eta, ShiftScope scope, boolean tensorEta,
      double measuredScale) {
    this.layout = layout;
    this.encoding = algorithm == ExchangeAlgorithm.UNCOMPRESSED ? ValueEncoding.FP32 : values;
    Compressor c = algorithm.compressed() ? new TopKCompressor(layout, ratio, denseRatio, values, denseValues)
        : Compressor.identity(layout);
    this.denseInt8 = c instanceof TopKCompressor tk && tk.denseEncoding() == ValueEncoding.INT8;
    this.worker = ExchangeWorker.create(algorithm, c, layout, eta, scope, tensorEta, measuredScale, 1.0);
    this.aggregator = new ExchangeAggregator(algorithm, layout, workers, scope);
    this.message = new float[layout.size()];
    this.slotValues = new float[workers][layout.size()];
    this.slotMasks = new boolean[workers][layout.units()];
  }

  /**
   * This worker's record value of the round: {@code D_i} of gradient {@code g} (the worker's
   * state advances), the coordinates and the hash of the weights {@code g} was taken at.
   */
  byte[] send(float[] g, int epoch, long round, int slot, long weightsHash) {
    lastPayloadBytes = worker.encode(g, message);
    return new ExchangeMessage(epoch, round, slot, slotValues.length, weightsHash, encoding, message, worker.touched(),
        denseInt8).encode(layout);
  }

  /** What {@link ExchangeWorker#encode} reported for the last message: its bytes without the header. */
  long lastPayloadBytes() {
    return lastPayloadBytes;
  }

  /**
   * Decodes the round's record values, index = slot, into this replica's per-slot buffers (the
   * returned messages' values and masks are only valid until the next call).
   *
   * @throws TrainerException if a value is corrupt, or the senders disagree with this replica on
   *     the shift scope (some send masks, the aggregator needs them from all or from none)
   */
  ExchangeMessage[] receive(byte[][] values) {
    if (values.length != slotValues.length) {
      throw new TrainerException("a round of " + slotValues.length + " workers got " + values.length + " messages");
    }
    ExchangeMessage[] all = new ExchangeMessage[values.length];
    for (int i = 0; i < values.length; i++) {
      all[i] = ExchangeMessage.decode(values[i], layout, slotValues[i], slotMasks[i]);
      if (all[i].denseInt8() != denseInt8) {
        throw new TrainerException("the message of slot " + i + (all[i].denseInt8() ? " carries" : " carries no")
            + " int8 dense tensors, this worker's exchange.dense.int8 is " + denseInt8
            + ": every worker needs the same exchange.dense.int8");
      }
      if ((all[i].touched() != null) != aggregator.masked()) {
        throw new TrainerException("the message of slot " + i + (all[i].touched() == null ? " carries no" : " carries")
            + " touched-row masks, this worker's shift scope is " + worker.scope().configName()
            + ": every worker needs the same exchange.shift and exchange.algorithm");
      }
    }
    return all;
  }

  /** {@code hbar + Dbar} of the messages {@link #receive} returned, into {@code out}; advances {@code hbar}. */
  void estimate(ExchangeMessage[] all, float[] out) {
    if (aggregator.masked()) {
      aggregator.estimate(slotValues, slotMasks, all.length, out);
    } else {
      aggregator.estimate(slotValues, all.length, out);
    }
  }

  ExchangeWorker worker() {
    return worker;
  }

  ParamLayout layout() {
    return layout;
  }
}
