package io.ctrstreams.schemas;

/**
 * Single-object codecs of every ctr-streams record type ({@code new AvroSerde<>(codec)} is the
 * serde), in one place so producers, the topology and tests agree on the encoding.
 */
public final class Schemas {
  /** Impressions (Avro path only; use {@link ImpressionCodec} for validated input). */
  public static final AvroCodec<Impression> IMPRESSION =
      new AvroCodec<>("Impression", Impression.getEncoder(), Impression.getDecoder());
  /** Clicks. */
  public static final AvroCodec<Click> CLICK =
      new AvroCodec<>("Click", Click.getEncoder(), Click.getDecoder());
  /** Scores (output); encoded by {@link ScoreBinary} (same bytes as Avro's encoder, faster). */
  public static final AvroCodec<Score> SCORE =
      new AvroCodec<>("Score", Score.getEncoder(), Score.getDecoder(), ScoreBinary::encode);
  /** All candidates' scores of one impression (output with scores.format=per-impression). */
  public static final AvroCodec<ImpressionScores> IMPRESSION_SCORES =
      new AvroCodec<>("ImpressionScores", ImpressionScores.getEncoder(), ImpressionScores.getDecoder());
  /** Labeled examples (output). */
  public static final AvroCodec<LabeledExample> LABELED_EXAMPLE =
      new AvroCodec<>("LabeledExample", LabeledExample.getEncoder(), LabeledExample.getDecoder());
  /** Label-join events (internal repartition topic). */
  public static final AvroCodec<LabelJoinEvent> LABEL_JOIN_EVENT =
      new AvroCodec<>("LabelJoinEvent", LabelJoinEvent.getEncoder(), LabelJoinEvent.getDecoder());
  /** Label-join state (internal store). */
  public static final AvroCodec<LabelJoinState> LABEL_JOIN_STATE =
      new AvroCodec<>("LabelJoinState", LabelJoinState.getEncoder(), LabelJoinState.getDecoder());

  /** The Score schema before {@code deltaSequence}: records written with it still decode (it reads as 0). */
  static final org.apache.avro.Schema SCORE_V1 = previous("score-1.avsc");

  /**
   * The label-join records and labeled examples before {@code source} (which path served the
   * impression): records written by an older topology, in its repartition topic, state store and
   * the labeled topic, still decode (the field reads as null, the stream path).
   */
  static final org.apache.avro.Schema LABEL_JOIN_EVENT_V1 = previous("label-join-event-1.avsc");
  static final org.apache.avro.Schema LABEL_JOIN_STATE_V1 = previous("label-join-state-1.avsc");
  static final org.apache.avro.Schema LABELED_EXAMPLE_V1 = previous("labeled-example-1.avsc");

  static {
    Score.getDecoder().addSchema(SCORE_V1);
    LabelJoinEvent.getDecoder().addSchema(LABEL_JOIN_EVENT_V1);
    LabelJoinState.getDecoder().addSchema(LABEL_JOIN_STATE_V1);
    LabeledExample.getDecoder().addSchema(LABELED_EXAMPLE_V1);
  }

  private static org.apache.avro.Schema previous(String resource) {
    try (java.io.InputStream in = Schemas.class.getResourceAsStream("previous/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("schema resource previous/" + resource + " missing from the classpath");
      }
      return new org.apache.avro.Schema.Parser().parse(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Schemas() {}
}
