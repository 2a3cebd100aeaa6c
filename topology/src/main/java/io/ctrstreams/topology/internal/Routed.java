package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One output of a decoding/scoring processor: the scoring processor forwards it to the child
 * (sink) of its kind by name; the click decoder's outputs are routed by kind with filters.
 * The DLQ kind carries the original value bytes; its DLQ headers travel on the record.
 */
public final class Routed {
  /** Serde of {@link Kind#SCORE} records: the Score's single-object encoding (made by the processor). */
  public static final Serde<Routed> SCORE_SERDE = Serdes.serdeFrom(
      (topic, r) -> r == null ? null : r.bytes,
      (topic, bytes) -> bytes == null ? null : encodedScore(bytes));
  /** Serde of {@link Kind#DEAD} records: the original value bytes, unchanged. */
  public static final Serde<Routed> DEAD_SERDE = Serdes.serdeFrom(
      (topic, r) -> r == null ? null : r.bytes,
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
  private final Served served;
  private final Click click;
  private final byte[] bytes; // SCORE: the encoded Score; DEAD: the original value

  private Routed(Kind kind, Served served, Click click, byte[] bytes) {
    this.kind = kind;
    this.served = served;
    this.click = click;
    this.bytes = bytes;
  }

  /**
   * A score already in its single-object encoding (as {@link io.ctrstreams.schemas.ScoreBatch}
   * writes the scores of an impression): the sink sends these bytes as they are.
   */
  public static Routed encodedScore(byte[] encoded) {
    return new Routed(Kind.SCORE, null, null, encoded);
  }

  /** A served impression. */
  public static Routed served(Served s) {
    return new Routed(Kind.SERVED, s, null, null);
  }

  /** A click. */
  public static Routed click(Click c) {
    return new Routed(Kind.CLICK, null, c, null);
  }

  /** A dead letter with the original value. */
  public static Routed dead(byte[] originalValue) {
    return new Routed(Kind.DEAD, null, null, originalValue);
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** The score (kind SCORE), decoded from its encoding. */
  public Score score() {
    return kind == Kind.SCORE ? Schemas.SCORE.decode(bytes, null) : null;
  }

  /** The served impression (kind SERVED). */
  public Served served() {
    return served;
  }

  /** The click (kind CLICK). */
  public Click click() {
    return click;
  }

  /** The original value (kind DEAD). */
  public byte[] dead() {
    return kind == Kind.DEAD ? bytes : null;
  }
}
