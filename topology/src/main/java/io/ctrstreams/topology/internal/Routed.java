package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.schemas.ServedImpression;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One output of a decoding/scoring processor: the scoring processor forwards it to the child
 * (sink) of its kind by name; the click decoder's outputs are routed by kind with filters.
 * The DLQ kind carries the original value bytes; its DLQ headers travel on the record.
 */
public final class Routed {
  /** Serde of {@link Kind#SCORE} records: the Score's single-object encoding. */
  public static final Serde<Routed> SCORE_SERDE = Serdes.serdeFrom(
      (topic, r) -> r == null ? null : Schemas.SCORE.encode(r.score()),
      (topic, bytes) -> bytes == null ? null : score(Schemas.SCORE.decode(bytes, null)));
  /** Serde of {@link Kind#DEAD} records: the original value bytes, unchanged. */
  public static final Serde<Routed> DEAD_SERDE = Serdes.serdeFrom(
      (topic, r) -> r == null ? null : r.dead(),
      (topic, bytes) -> bytes == null ? null : dead(bytes));

  /** Output kinds. */
  public enum Kind {
    /** A score for the scores topic. */
    SCORE,
    /** A served impression for the label join. */
    SERVED,
    /** A decoded click for the label join. */
    CLICK,
    /** A record for the DLQ. */
    DEAD
  }

  private final Kind kind;
  private final Score score;
  private final ServedImpression served;
  private final Click click;
  private final byte[] dead;

  private Routed(Kind kind, Score score, ServedImpression served, Click click, byte[] dead) {
    this.kind = kind;
    this.score = score;
    this.served = served;
    this.click = click;
    this.dead = dead;
  }

  /** A score. */
  public static Routed score(Score s) {
    return new Routed(Kind.SCORE, s, null, null, null);
  }

  /** A served impression. */
  public static Routed served(ServedImpression s) {
    return new Routed(Kind.SERVED, null, s, null, null);
  }

  /** A click. */
  public static Routed click(Click c) {
    return new Routed(Kind.CLICK, null, null, c, null);
  }

  /** A dead letter with the original value. */
  public static Routed dead(byte[] originalValue) {
    return new Routed(Kind.DEAD, null, null, null, originalValue);
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** The score (kind SCORE). */
  public Score score() {
    return score;
  }

  /** The served impression (kind SERVED). */
  public ServedImpression served() {
    return served;
  }

  /** The click (kind CLICK). */
  public Click click() {
    return click;
  }

  /** The original value (kind DEAD). */
  public byte[] dead() {
    return dead;
  }
}
