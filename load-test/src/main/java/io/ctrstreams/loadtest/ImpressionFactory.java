package io.ctrstreams.loadtest;

import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.AvroBinary;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded Criteo-shaped impressions for a {@link ModelSpec}: every CONTEXT field in the context
 * map, every CANDIDATE field in each candidate's map; categorical values are strings drawn from
 * {@value #DISTINCT_VALUES} per field (the model hashes them into its buckets), numeric values
 * small non-negative counts like Criteo's I1..I13. Encoded as Avro single-object, the default
 * wire format.
 *
 * <p>Event ids are {@code <prefix><index>} so consumers can count scores per event by parsing
 * the record key ({@link #indexOf}). Not thread-safe (one per producing thread).
 */
public final class ImpressionFactory {
  /** Distinct values drawn per categorical field. */
  public static final int DISTINCT_VALUES = 5_000;
  /** Impressions in {@link #encodePooled}'s pool. */
  public static final int POOL = 1024;
  private static final int HEADER = AvroBinary.HEADER_BYTES;

  private final ModelSpec spec;
  private final int candidates;
  private final String prefix;
  private final Random rnd;
  private final ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, ImpressionCodec.DEFAULT_MAX_CANDIDATES);
  private byte[][] tails;
  private byte[] header;

  /**
   * A factory.
   *
   * @param spec the model whose fields to fill
   * @param candidates candidates per impression, >= 1
   * @param prefix event id prefix (no digits at its end)
   * @param seed random seed
   */
  public ImpressionFactory(ModelSpec spec, int candidates, String prefix, long seed) {
    if (candidates < 1) {
      throw new IllegalArgumentException("candidates per impression must be >= 1, found " + candidates);
    }
    if (!prefix.isEmpty() && Character.isDigit(prefix.charAt(prefix.length() - 1))) {
      throw new IllegalArgumentException("event id prefix must not end with a digit, found " + prefix);
    }
    this.spec = spec;
    this.candidates = candidates;
    this.prefix = prefix;
    this.rnd = new Random(seed);
  }

  /** Candidates per impression. */
  public int candidates() {
    return candidates;
  }

  /** The event id of impression {@code index}. */
  public String eventId(long index) {
    return prefix + index;
  }

  /** The impression with index {@code index} and event time {@code timestampMs}. */
  public Impression impression(long index, long timestampMs) {
    Map<String, Object> context = features(FieldSpec.Role.CONTEXT);
    List<Candidate> cs = new ArrayList<>(candidates);
    String id = eventId(index);
    for (int i = 0; i < candidates; i++) {
      cs.add(new Candidate(id + "#" + i, features(FieldSpec.Role.CANDIDATE)));
    }
    return new Impression(id, timestampMs, context, cs);
  }

  /** Avro single-object bytes of {@link #impression}. */
  public byte[] encode(Impression imp) {
    return codec.encodeAvro(imp);
  }

  /**
   * The Avro single-object bytes of impression {@code index} at {@code timestampMs}, cheaply:
   * features and ad ids come from a pool of {@value #POOL} impressions made on first use, whose
   * bodies after the event id and timestamp (context map and candidates) are encoded once; a call
   * writes header, event id and timestamp and copies one such tail. For an open-loop producer
   * that shares the cores with the app under test (Avro's generic writer costs ~30 us per
   * 16-candidate impression, most of the producer's CPU). Ad ids are {@code p<k>#<i>}, not tied
   * to the event id. Decodes to {@code eventId(index)}, {@code timestampMs} and pool entry
   * {@code index % POOL} (tested).
   */
  public byte[] encodePooled(long index, long timestampMs) {
    if (tails == null) {
      tails = new byte[POOL][];
      for (int k = 0; k < POOL; k++) {
        List<Candidate> cs = new ArrayList<>(candidates);
        for (int i = 0; i < candidates; i++) {
          cs.add(new Candidate("p" + k + "#" + i, features(FieldSpec.Role.CANDIDATE)));
        }
        // event id "" and timestamp 0 encode as one byte each after the 10-byte header
        byte[] b = encode(new Impression("", 0L, features(FieldSpec.Role.CONTEXT), cs));
        header = Arrays.copyOf(b, HEADER);
        tails[k] = Arrays.copyOfRange(b, HEADER + 2, b.length);
      }
    }
    byte[] id = eventId(index).getBytes(StandardCharsets.US_ASCII); // prefix and digits: ASCII
    byte[] tail = tails[(int) (index % POOL)];
    byte[] out = new byte[HEADER + AvroBinary.varLongSize(id.length) + id.length
        + AvroBinary.varLongSize(timestampMs) + tail.length];
    System.arraycopy(header, 0, out, 0, HEADER);
    int p = AvroBinary.writeVarLong(out, HEADER, id.length);
    System.arraycopy(id, 0, out, p, id.length);
    p = AvroBinary.writeVarLong(out, p + id.length, timestampMs);
    System.arraycopy(tail, 0, out, p, tail.length);
    return out;
  }

  /** The impression {@link #encodePooled} encodes (for tests). */
  Impression pooled(long index, long timestampMs) {
    return codec.decode(encodePooled(index, timestampMs), timestampMs);
  }

  /** The record key of an impression: its event id in UTF-8. */
  public static byte[] key(Impression imp) {
    return imp.getEventId().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The index of an event id key {@code <prefix><index>}: the trailing decimal digits, or -1
   * when there are none. Allocation-free (counting consumers call it per record).
   */
  public static long indexOf(byte[] key) {
    if (key == null) {
      return -1;
    }
    long v = 0;
    long mul = 1;
    int i = key.length - 1;
    for (; i >= 0 && key[i] >= '0' && key[i] <= '9'; i--) {
      v += (key[i] - '0') * mul;
      mul *= 10;
    }
    return i == key.length - 1 ? -1 : v;
  }

  private Map<String, Object> features(FieldSpec.Role role) {
    Map<String, Object> m = new HashMap<>();
    for (FieldSpec f : spec.fields()) {
      if (f.role() != role) {
        continue;
      }
      if (f.type() == FieldSpec.Type.CATEGORICAL) {
        m.put(f.name(), f.name() + "-" + Integer.toHexString(rnd.nextInt(DISTINCT_VALUES)));
      } else {
        // Criteo counts: mostly small, a long tail (log-bucketed by the model)
        m.put(f.name(), Math.floor(Math.exp(rnd.nextDouble() * 8)) - 1);
      }
    }
    return m;
  }
}
