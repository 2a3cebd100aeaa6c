package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * One worker's side of the exchange: turns its round gradient {@code g_i} into the message
 * {@code D_i} and updates its error {@code e_i} and shift {@code h_i} as {@link ExchangeAlgorithm}
 * states ({@link ShiftScope} for where the shift acts on embedding tables). Not thread-safe; no
 * allocation per round.
 */
public final class ExchangeWorker {
  private final ExchangeAlgorithm algorithm;
  private final Compressor compressor;
  private final float eta;
  /** Per value eta (EControl with per-tensor eta), or null: {@link #eta} everywhere. */
  private float[] etas;
  /** Non-null with measured etas ({@link #useMeasuredEtas}): the tensors whose contraction is measured. */
  private ParamLayout etaLayout;
  /** Per tensor: the eta of the next round, its lower bound and the scale applied to the measured contraction. */
  private double[] tensorEta;
  private double[] etaFloor;
  private double etaScale;
  private double etaCap;
  private final boolean shift;
  private final int d;
  private final float[] e;
  private final float[] h;
  private final float[] v;
  /** Non-null for {@link ShiftScope#TOUCHED_ROWS} with a shift: the layout whose tables are masked. */
  private final ParamLayout rows;
  /** Per global unit of {@link #rows}: whether this round's gradient touches it (dense units: true). */
  private final boolean[] touched;

  /**
   * A worker for {@code algorithm}; {@code eta} is used by {@link ExchangeAlgorithm#ECONTROL}
   * only (EF21 is eta = 0, EF is eta = 1 without shift). {@code UNCOMPRESSED} ignores the
   * compressor's selection and sends the fp32 vector.
   *
   * @throws TrainerException if eta is negative or not finite
   */
  public ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, int d, double eta) {
    this(algorithm, compressor, d, eta, algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21);
  }

  /** With {@code shift = false} the EControl path keeps {@code h_i = 0} (tests: eta = 1 is then EF). */
  ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, int d, double eta, boolean shift) {
    this(algorithm, compressor, d, eta, shift, null);
  }

  /**
   * A worker whose shift acts as {@code scope} states on the tables of {@code layout} (units wider
   * than one value); {@link ShiftScope#ALL} is the paper's algorithm, as the other constructor.
   */
  public ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, ParamLayout layout, double eta,
      ShiftScope scope) {
    this(algorithm, compressor, layout.size(), eta,
        algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21,
        scope == ShiftScope.TOUCHED_ROWS ? layout : null);
  }

  /** Tests: the EControl path with the shift frozen at 0 ({@code shift = false}) and a scope. */
  ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, int d, double eta, boolean shift,
      ParamLayout touchedRows) {
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new TrainerException("exchange.eta must be a finite number >= 0, found " + eta);
    }
    this.algorithm = algorithm;
    this.compressor = algorithm == ExchangeAlgorithm.UNCOMPRESSED ? Compressor.identity(ParamLayout.dense(d)) : compressor;
    this.eta = switch (algorithm) {
      case ECONTROL -> (float) eta;
      case EF -> 1f;
      default -> 0f;
    };
    this.shift = shift;
    this.d = d;
    this.e = new float[d];
    this.h = new float[d];
    this.v = new float[d];
    boolean masked = touchedRows != null
        && (algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21);
    if (masked && touchedRows.size() != d) {
      throw new TrainerException("layout has " + touchedRows.size() + " values, the worker " + d);
    }
    this.rows = masked ? touchedRows : null;
    this.touched = masked ? new boolean[touchedRows.units()] : null;
    if (masked) {
      Arrays.fill(touched, true);
    }
  }

  /**
   * A worker as {@code ctr exchange-experiment} and {@code ctr trainer} configure it: {@code eta}
   * NaN is the default, the compressor's {@code k/d} ({@link ExchangeAlgorithm#defaultEta}); with
   * the default and a {@link TopKCompressor}, {@code tensorEta} makes it each tensor's own {@code
   * k_t / units_t} ({@link #useTensorEtas}) and {@code measuredScale} (not NaN) each tensor's
   * measured contraction times that scale with {@code k_t / units_t} as floor and {@code
   * measuredCap} as cap ({@link #useMeasuredEtas}).
   *
   * @throws TrainerException naming an offending value
   */
  public static ExchangeWorker create(ExchangeAlgorithm algorithm, Compressor compressor, ParamLayout layout,
      double eta, ShiftScope scope, boolean tensorEta, double measuredScale, double measuredCap) {
    double e = Double.isNaN(eta) ? ExchangeAlgorithm.defaultEta(compressor.contraction()) : eta;
    ExchangeWorker worker = new ExchangeWorker(algorithm, compressor, layout, e, scope);
    if (Double.isNaN(eta) && compressor instanceof TopKCompressor tk && (tensorEta || !Double.isNaN(measuredScale))) {
      double[] floor = new double[layout.segments().size()];
      for (int t = 0; t < floor.length; t++) {
        floor[t] = ExchangeAlgorithm.defaultEta(tk.contraction(t));
      }
      if (Double.isNaN(measuredScale)) {
        worker.useTensorEtas(layout, floor);
      } else {
        worker.useMeasuredEtas(layout, floor, measuredScale, measuredCap);
      }
    }
    return worker;
  }

  /** The shift's scope in use ({@link ShiftScope#ALL} for algorithms without a shift). */
  public ShiftScope scope() {
    return rows == null ? ShiftScope.ALL : ShiftScope.TOUCHED_ROWS;
  }

  /**
   * The last round's mask {@code m_i} per global unit of the layout (live view; null for {@link
   * ShiftScope#ALL}): the receivers need it to form {@code m_i h_i + D_i}.
   */
  public boolean[] touched() {
    return touched;
  }

  public ExchangeAlgorithm algorithm() {
    return algorithm;
  }

  /**
   * EControl with one eta per tensor of {@code layout}: {@code eta_t} multiplies {@code e_i} on
   * tensor t (the block-wise form: each tensor is its own compressed channel with its own
   * contraction {@code delta_t = k_t / units_t}, so {@code eta_t = delta_t} is the scalar
   * default applied per block). Ignored by the other algorithms.
   *
   * @throws TrainerException if a value is negative or not finite, or the sizes differ
   */
  public void useTensorEtas(ParamLayout layout, double[] etaPerTensor) {
    if (layout.size() != d || etaPerTensor.length != layout.segments().size()) {
      throw new TrainerException("per-tensor eta needs " + layout.segments().size() + " values for " + d
          + " parameters, found " + etaPerTensor.length);
    }
    if (algorithm != ExchangeAlgorithm.ECONTROL) {
      return;
    }
    float[] a = new float[d];
    for (int t = 0; t < etaPerTensor.length; t++) {
      double x = etaPerTensor[t];
      if (!(x >= 0) || Double.isInfinite(x)) {
        throw new TrainerException("exchange.eta must be a finite number >= 0, found " + x);
      }
      ParamLayout.Segment s = layout.segments().get(t);
      Arrays.fill(a, s.offset(), s.offset() + s.length(), (float) x);
    }
    etas = a;
  }

  /**
   * EControl with eta measured per tensor and round: after compressing {@code x = eta e_i + g_i -
   * h_i}, tensor t's contraction in this round is {@code delta_t = 1 - ||x_t - C(x)_t||^2 /
   * ||x_t||^2} (the share of the vector's energy the message carried; for top-k at least {@code
   * k_t / units_t}, much more when {@code x_t} is concentrated, e.g. on the few table rows that
   * carry error or gradient), and the next round uses {@code eta_t = min(cap, max(floor_t, scale *
   * delta_t))}. The paper's step (eta of the order of delta) with delta as measured instead of its
   * worst-case bound; the first round uses {@code floor_t}. A tensor whose {@code x_t} is zero keeps
   * its eta. Only the sender's e_i return rate changes: the bookkeeping identity and the message
   * format do not. Ignored by the other algorithms.
   *
   * @param floor per tensor, the lower bound (the compressor's {@code k_t / units_t})
   * @param scale the factor c on the measured contraction, in (0, 1]
   * @param cap the upper bound on eta, in (0, 1]
   * @throws TrainerException naming the offending value
   */
  public void useMeasuredEtas(ParamLayout layout, double[] floor, double scale, double cap) {
    if (!(scale > 0 && scale <= 1)) {
      throw new TrainerException("measured eta scale must be in (0, 1], found " + scale);
    }
    if (!(cap > 0 && cap <= 1)) {
      throw new TrainerException("measured eta cap must be in (0, 1], found " + cap);
    }
    useTensorEtas(layout, floor);
    if (algorithm != ExchangeAlgorithm.ECONTROL) {
      return;
    }
    for (double f : floor) {
      if (f > cap) {
        throw new TrainerException("measured eta floor " + f + " exceeds the cap " + cap);
      }
    }
    etaLayout = layout;
    etaFloor = floor.clone();
    tensorEta = floor.clone();
    etaScale = scale;
    etaCap = cap;
  }

  /**
   * Per tensor, the eta the next round uses with measured etas (a copy; null otherwise).
   */
  public double[] tensorEtas() {
    return tensorEta == null ? null : tensorEta.clone();
  }

  /** After compressing {@code x} into {@code c}: each tensor's next eta from its measured contraction. */
  private void remeasure(float[] x, float[] c) {
    for (int t = 0; t < tensorEta.length; t++) {
      ParamLayout.Segment s = etaLayout.segments().get(t);
      double all = 0;
      double left = 0;
      for (int j = s.offset(); j < s.offset() + s.length(); j++) {
        double a = x[j];
        double r = a - c[j];
        all += a * a;
        left += r * r;
      }
      if (!(all > 0) || !Double.isFinite(all)) {
        continue;
      }
      double next = Math.min(etaCap, Math.max(etaFloor[t], etaScale * (1 - left / all)));
      if (next != tensorEta[t]) {
        tensorEta[t] = next;
        Arrays.fill(etas, s.offset(), s.offset() + s.length(), (float) next);
      }
    }
  }

  /** The feedback strength in use. */
  public float eta() {
    return eta;
  }

  /**
   * One round: writes {@code D_i} for gradient {@code g} into {@code out} and updates the state.
   *
   * @return the message's wire size in bytes
   */
  public long encode(float[] g, float[] out) {
    if (g.length < d || out.length < d) {
      throw new TrainerException("exchange vectors have " + d + " values, got " + g.length + " and " + out.length);
    }
    switch (algorithm) {
      case UNCOMPRESSED, NONE -> {
        return compressor.compress(g, out);
      }
      case EF -> {
        // textbook form: p = e + g; D = C(p); e = p - D
        for (int j = 0; j < d; j++) {
          v[j] = e[j] + g[j];
        }
        long bytes = compressor.compress(v, out);
        for (int j = 0; j < d; j++) {
          e[j] = v[j] - out[j];
        }
        return bytes;
      }
      default -> {
        if (rows != null) {
          return encodeTouchedRows(g, out);
        }
        // ECONTROL and EF21 (eta = 0): D = C(eta e + g - h); e += g - h - D; h += D
        for (int j = 0; j < d; j++) {
          v[j] = (etas == null ? eta : etas[j]) * e[j] + g[j] - h[j];
        }
        long bytes = compressor.compress(v, out);
        if (etaLayout != null) {
          remeasure(v, out);
        }
        for (int j = 0; j < d; j++) {
          e[j] = e[j] + g[j] - h[j] - out[j];
          if (shift) {
            h[j] = h[j] + out[j];
          }
        }
        return bytes;
      }
    }
  }

  /** {@link ShiftScope#TOUCHED_ROWS}: D = C(eta e + g - m h); e += g - m h - D; h += m D. */
  private long encodeTouchedRows(float[] g, float[] out) {
    for (int t = 0; t < rows.segments().size(); t++) {
      ParamLayout.Segment s = rows.segments().get(t);
      int unit = s.unit();
      int first = rows.firstUnit(t);
      for (int u = 0; u < s.units(); u++) {
        int base = s.offset() + u * unit;
        boolean m = unit == 1;
        for (int c = 0; c < unit && !m; c++) {
          m = g[base + c] != 0f;
        }
        touched[first + u] = m;
        for (int j = base; j < base + unit; j++) {
          float et = etas == null ? eta : etas[j];
          v[j] = m ? et * e[j] + g[j] - h[j] : et * e[j] + g[j];
        }
      }
    }
    long bytes = compressor.compress(v, out);
    if (etaLayout != null) {
      remeasure(v, out);
    }
    for (int t = 0; t < rows.segments().size(); t++) {
      ParamLayout.Segment s = rows.segments().get(t);
      int unit = s.unit();
      int first = rows.firstUnit(t);
      int count = 0;
      long list = 0;
      int previous = -1;
      for (int u = 0; u < s.units(); u++) {
        boolean m = touched[first + u];
        int base = s.offset() + u * unit;
        for (int j = base; j < base + unit; j++) {
          if (m) {
            e[j] = e[j] + g[j] - h[j] - out[j];
            if (shift) {
              h[j] = h[j] + out[j];
            }
          } else {
            e[j] = e[j] + g[j] - out[j];
          }
        }
        if (m && unit > 1) {
          count++;
          list += RowMasks.varintSize(u - previous - 1);
          previous = u;
        }
      }
      if (unit > 1) {
        bytes += RowMasks.tableBytes(s.units(), count, list);
      }
    }
    return bytes;
  }

  /** Forgets the error and the shift (a new epoch: every replica resets its {@code hbar} too). */
  public void reset() {
    Arrays.fill(e, 0f);
    Arrays.fill(h, 0f);
  }

  /** The error {@code e_i} (live view; do not modify). */
  public float[] error() {
    return e;
  }

  /** The shift {@code h_i} (live view; do not modify). */
  public float[] shift() {
    return h;
  }

  /** {@code ||e_i||}. */
  public double errorNorm() {
    return norm(e);
  }

  /** {@code ||h_i||}. */
  public double shiftNorm() {
    return norm(h);
  }

  static double norm(float[] a) {
    double s = 0;
    for (float x : a) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }
}
