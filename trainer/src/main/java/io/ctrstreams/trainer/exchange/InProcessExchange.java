package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.ValueEncoding;

/**
 * {@code n} workers and one replica's aggregator in one process: the exchange of a round without
 * a network, for tests and the in-process experiment ({@code ctr exchange-experiment}). The
 * messages travel as the dense arrays the workers wrote; their wire size is what {@link
 * Compressor#compress} reports.
 */
public final class InProcessExchange {
  private final ExchangeWorker[] workers;
  private final ExchangeAggregator aggregator;
  private final float[][] messages;
  private final boolean[][] masks;
  private long lastBytes;
  private long totalBytes;

  /**
   * @param ratio top-k ratio (ignored for {@code uncompressed})
   * @param eta EControl's eta (NaN: {@link ExchangeAlgorithm#defaultEta} of the compressor)
   */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, ValueEncoding encoding,
      double eta) {
    this(algorithm, layout, n, ratio, encoding, eta, ShiftScope.ALL);
  }

  /** With the shift acting as {@code scope} states ({@link ShiftScope}). */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, ValueEncoding encoding,
      double eta, ShiftScope scope) {
    this(algorithm, layout, n, ratio, ratio, encoding, eta, scope);
  }

  /** With its own top-k ratio for the dense tensors ({@link TopKCompressor}). */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, double denseRatio,
      ValueEncoding encoding, double eta, ShiftScope scope) {
    this(algorithm, layout, n, ratio, denseRatio, encoding, eta, scope, false);
  }

  /**
   * With {@code tensorEta} and a default eta (NaN), EControl uses per tensor {@code eta_t = k_t /
   * units_t} ({@link ExchangeWorker#useTensorEtas}) instead of the compressor's overall {@code
   * min_t k_t / units_t}.
   */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, double denseRatio,
      ValueEncoding encoding, double eta, ShiftScope scope, boolean tensorEta) {
    this(algorithm, layout, n, ratio, denseRatio, encoding, eta, scope, tensorEta, Double.NaN, 1);
  }

  /**
   * With {@code measuredScale} (not NaN) and a default eta (NaN), EControl measures each tensor's
   * contraction every round and uses {@code eta_t = min(measuredCap, max(k_t / units_t,
   * measuredScale * delta_t))} in the next ({@link ExchangeWorker#useMeasuredEtas}); NaN: as
   * {@code tensorEta} states.
   */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, double denseRatio,
      ValueEncoding encoding, double eta, ShiftScope scope, boolean tensorEta, double measuredScale,
      double measuredCap) {
    this(algorithm, layout, n, ratio, denseRatio, encoding, encoding, eta, scope, tensorEta, measuredScale, measuredCap);
  }

  /** With the dense tensors' own value encoding ({@link TopKCompressor}: int8 sends them whole). */
  public InProcessExchange(ExchangeAlgorithm algorithm, ParamLayout layout, int n, double ratio, double denseRatio,
      ValueEncoding encoding, ValueEncoding denseEncoding, double eta, ShiftScope scope, boolean tensorEta,
      double measuredScale, double measuredCap) {
    workers = new ExchangeWorker[n];
    messages = new float[n][layout.size()];
    masks = new boolean[n][];
    for (int i = 0; i < n; i++) {
      Compressor c = algorithm.compressed() ? new TopKCompressor(layout, ratio, denseRatio, encoding, denseEncoding)
          : Compressor.identity(layout);
      workers[i] = ExchangeWorker.create(algorithm, c, layout, eta, scope, tensorEta, measuredScale, measuredCap);
    }
    aggregator = new ExchangeAggregator(algorithm, layout, n, scope);
  }

  /** From explicit parts (tests). */
  InProcessExchange(ExchangeWorker[] workers, ExchangeAggregator aggregator, int d) {
    this.workers = workers;
    this.aggregator = aggregator;
    this.messages = new float[workers.length][d];
    this.masks = new boolean[workers.length][];
  }

  /** One round: worker i's gradient is {@code grads[i]}; the estimate goes to {@code out}. */
  public void round(float[][] grads, float[] out) {
    long b = 0;
    for (int i = 0; i < workers.length; i++) {
      b += workers[i].encode(grads[i], messages[i]);
      masks[i] = workers[i].touched();
    }
    if (aggregator.masked()) {
      aggregator.estimate(messages, masks, workers.length, out);
    } else {
      aggregator.estimate(messages, workers.length, out);
    }
    lastBytes = b;
    totalBytes += b;
  }

  public ExchangeWorker worker(int i) {
    return workers[i];
  }

  public int workers() {
    return workers.length;
  }

  /** The message of worker i in the last round (live view). */
  public float[] message(int i) {
    return messages[i];
  }

  /** Bytes sent by all workers in the last round. */
  public long lastRoundBytes() {
    return lastBytes;
  }

  public long totalBytes() {
    return totalBytes;
  }

  public ExchangeAggregator aggregator() {
    return aggregator;
  }
}
