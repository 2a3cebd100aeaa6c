package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.ClickCodec;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.AvroSerde;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.ModelRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The whole scoring topology on TopologyTestDriver: no broker. */
class ScoringTopologyTest {
  private static final String MODEL = "ctr";
  private static final long SEED = 20261126L;

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> impressions;
  private TestInputTopic<byte[], byte[]> clicks;
  private TestInputTopic<String, byte[]> models;
  private TestOutputTopic<byte[], Score> scores;
  private TestOutputTopic<byte[], byte[]> dlq;
  private TestOutputTopic<byte[], LabeledExample> labeled;
  private PrometheusRegistry prom;
  private ModelRegistry live;
  private ModelRegistry shadow;
  private OnlineMetrics online;
  private final Random rnd = new Random(SEED);
  /** The runtime's wall clock: fixed, except in the first-model wait tests. */
  private LongSupplier clock = () -> 1_700_000_000_500L;

  private void start(String format, boolean withShadow, Object... extra) {
    Map<String, Object> p = new HashMap<>();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "scoring-test");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(TopologyConfig.INPUT_FORMAT_CONFIG, format);
    p.put(TopologyConfig.MODEL_WAIT_MS_CONFIG, "0");
    p.put(TopologyConfig.MAX_CANDIDATES_CONFIG, "8");
    p.put(TopologyConfig.ATTRIBUTION_WINDOW_MS_CONFIG, "10000");
    if (withShadow) {
      p.put(TopologyConfig.SHADOW_MODEL_NAME_CONFIG, "full");
    }
    for (int i = 0; i < extra.length; i += 2) {
      p.put((String) extra[i], extra[i + 1]);
    }
    TopologyConfig config = new TopologyConfig(p);
    prom = new PrometheusRegistry();
    TopologyMetrics metrics = new TopologyMetrics(prom);
    live = new ModelRegistry(MODEL);
    shadow = withShadow ? new ModelRegistry("full") : null;
    prom.register(new ModelMetrics(live, shadow, () -> 1_700_000_060_000L));
    online = new OnlineMetrics(config.onlineMetricsWindowMs());
    prom.register(online);
    driver = new TopologyTestDriver(
        ScoringTopology.build(config, new ScoringTopology.Runtime(metrics, live, shadow, online, clock)),
        config.streamsProperties());
    impressions = driver.createInputTopic("impressions", new ByteArraySerializer(), new ByteArraySerializer());
    clicks = driver.createInputTopic("clicks", new ByteArraySerializer(), new ByteArraySerializer());
    models = driver.createInputTopic("models", new StringSerializer(), new ByteArraySerializer());
    scores = driver.createOutputTopic("scores", new ByteArrayDeserializer(), new AvroSerde<>(Schemas.SCORE).deserializer());
    dlq = driver.createOutputTopic("dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    labeled = driver.createOutputTopic("labeled", new ByteArrayDeserializer(), new AvroSerde<>(Schemas.LABELED_EXAMPLE).deserializer());
  }

  @AfterEach
  void tearDown() {
    if (driver != null) {
      driver.close();
    }
  }

  private CtrModel publish(String name, long version, long seed) {
    CtrModel m = TestModels.model(name, version, seed);
    publishRecords(TestModels.publishRecords(name, version, TestModels.ctrm(m), 4096, false));
    return m;
  }

  private void publishRecords(List<KeyValue<String, byte[]>> records) {
    for (KeyValue<String, byte[]> kv : records) {
      models.pipeInput(kv.key, kv.value);
    }
  }

  private void pipe(Impression imp, String format) {
    byte[] v = format.equals("json") ? ImpressionCodec.encodeJson(imp) : Schemas.IMPRESSION.encode(imp);
    impressions.pipeInput(imp.getEventId().getBytes(StandardCharsets.UTF_8), v, imp.getTimestampMs());
  }

  private static float[] expected(CtrModel m, Impression imp) {
    return TestModels.pctr(m, imp);
  }

  @Test
  void shouldScoreEveryCandidateAsTheModelsScorerDoesAndStampTheVersion() {
    start("avro", false);
    CtrModel v1 = publish(MODEL, 1, 11);
    Impression imp = TestModels.impression("e-1", 1_700_000_000_000L, 5, rnd);
    pipe(imp, "avro");
    assertLiveScores(scores.readValuesToList(), imp, v1);
    assertThat(MetricValues.value(prom, "ctr_impressions_scored")).isEqualTo(1.0);
    assertThat(MetricValues.value(prom, "ctr_candidates_scored", "variant", "live")).isEqualTo(5.0);
    assertThat(MetricValues.value(prom, "ctr_scoring_latency_seconds")).isEqualTo(1.0);
    assertThat(MetricValues.value(prom, "ctr_model_version", "model", MODEL, "role", "live")).isEqualTo(1.0);
    assertThat(MetricValues.value(prom, "ctr_model_age_seconds", "model", MODEL, "role", "live")).isEqualTo(60.0);
    assertThat(MetricValues.value(prom, "ctr_model_compression_ratio", "model", MODEL, "role", "live")).isEqualTo(4.5);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void scoresShouldCarryTheImpressionsHeadersAndNoneWhenItHasNone() {
    start("avro", false);
    publish(MODEL, 1, 11);
    Impression imp = TestModels.impression("e-h", 1_700_000_000_000L, 3, rnd);
    RecordHeaders in = new RecordHeaders();
    in.add("trace-id", "t-42".getBytes(StandardCharsets.UTF_8));
    impressions.pipeInput(new TestRecord<>(imp.getEventId().getBytes(StandardCharsets.UTF_8),
        Schemas.IMPRESSION.encode(imp), in, imp.getTimestampMs()));
    List<TestRecord<byte[], Score>> withHeaders = scores.readRecordsToList();
    assertThat(withHeaders).hasSize(3);
    for (TestRecord<byte[], Score> r : withHeaders) {
      assertThat(r.headers().toArray()).hasSize(1);
      assertThat(new String(r.headers().lastHeader("trace-id").value(), StandardCharsets.UTF_8)).isEqualTo("t-42");
    }
    pipe(TestModels.impression("e-none", 1_700_000_000_000L, 2, rnd), "avro");
    List<TestRecord<byte[], Score>> without = scores.readRecordsToList();
    assertThat(without).hasSize(2);
    assertThat(without).allSatisfy(r -> assertThat(r.headers().toArray()).isEmpty());
  }

  /** One live score per candidate, in order, with the model's own pctr, name, version and times. */
  private static void assertLiveScores(List<Score> out, Impression imp, CtrModel model) {
    float[] want = expected(model, imp);
    assertThat(out).hasSize(imp.getCandidates().size());
    for (int i = 0; i < out.size(); i++) {
      Score s = out.get(i);
      assertThat(s.getEventId()).isEqualTo(imp.getEventId());
      assertThat(s.getAdId()).isEqualTo(imp.getCandidates().get(i).getAdId());
      assertThat(s.getPctr()).as("seed " + SEED + " candidate " + i).isEqualTo((double) want[i]);
      assertThat(s.getModelName()).isEqualTo(MODEL);
      assertThat(s.getModelVersion()).isEqualTo(model.version());
      assertThat(s.getVariant()).isEqualTo("live");
      assertThat(s.getTimestampMs()).isEqualTo(imp.getTimestampMs());
      assertThat(s.getScoredAtMs()).isEqualTo(1_700_000_000_500L);
    }
  }

  private void assertDead(String expectedReason, String messagePart, long offset) {
    TestRecord<byte[], byte[]> r = dlq.readRecord();
    assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo(expectedReason);
    assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_MESSAGE)).contains(messagePart);
    assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_CLASS)).isNotBlank();
    assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("impressions");
    assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo(Long.toString(offset));
  }

  private void pipeRaw(String value) {
    impressions.pipeInput("k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L);
  }

  @Test
  void shouldRouteEveryKindOfBadJsonInputToTheDlqWithHeadersAndKeepScoring() {
    start("json", false);
    publish(MODEL, 1, 11);
    String[][] bad = {
        {"{\"eventId\":\"e\",", "bad_json", "not valid JSON"},
        {"{\"candidates\":[{\"adId\":\"a\"}]}", "missing_field", "no eventId"},
        {"{\"eventId\":5,\"candidates\":[{\"adId\":\"a\"}]}", "wrong_type", "eventId must be a string"},
        {"{\"eventId\":\"e\",\"context\":{\"hour\":NaN},\"candidates\":[{\"adId\":\"a\"}]}", "non_finite", "context.hour"},
        {"{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"bid\":Infinity}}]}", "non_finite", "Infinity"},
        {"{\"eventId\":\"e\",\"candidates\":[]}", "empty_candidates", "no candidates"},
        {"{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"1\"},{\"adId\":\"2\"},{\"adId\":\"3\"},{\"adId\":\"4\"},{\"adId\":\"5\"},"
            + "{\"adId\":\"6\"},{\"adId\":\"7\"},{\"adId\":\"8\"},{\"adId\":\"9\"}]}", "too_many_candidates", "more than 8"},
    };
    long offset = 0;
    for (String[] b : bad) {
      pipeRaw(b[0]);
      assertDead(b[1], b[2], offset++);
    }
    // the original bytes and key are kept for replay
    pipeRaw("not json at all");
    TestRecord<byte[], byte[]> r = dlq.readRecord();
    assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("not json at all");
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("k");
    offset++;
    pipe(TestModels.impression("good", 1_700_000_000_000L, 2, rnd), "json");
    assertThat(scores.readValuesToList()).hasSize(2);
    assertThat(MetricValues.value(prom, "ctr_dlq_records", "topic", "impressions", "reason", "non_finite")).isEqualTo(2.0);
    assertThat(MetricValues.value(prom, "ctr_dlq_records", "topic", "impressions", "reason", "bad_json")).isEqualTo(2.0);
  }

  @Test
  void shouldRouteBadAvroAndUnknownFingerprintsToTheDlq() throws Exception {
    start("avro", false);
    publish(MODEL, 1, 11);
    byte[] good = Schemas.IMPRESSION.encode(TestModels.impression("e", 1L, 1, rnd));
    impressions.pipeInput(null, java.util.Arrays.copyOf(good, good.length - 3));
    assertDead("bad_avro", "corrupt or truncated", 0);
    Schema other = SchemaBuilder.record("Other").namespace("x").fields().requiredString("a").endRecord();
    GenericRecord rec = new GenericData.Record(other);
    rec.put("a", "b");
    impressions.pipeInput(null, new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(rec).array());
    assertDead("unknown_schema", "unknown schema fingerprint", 1);
    impressions.pipeInput(null, "{\"eventId\":\"e\"}".getBytes(StandardCharsets.UTF_8));
    assertDead("bad_avro", "not Avro single-object", 2);
    Impression noId = TestModels.impression("x", 1L, 1, rnd);
    noId.setEventId("");
    impressions.pipeInput(null, Schemas.IMPRESSION.encode(noId));
    assertDead("missing_field", "no eventId", 3);
    assertThat(scores.isEmpty()).isTrue();
  }

  @Test
  void shouldSendImpressionsToTheDlqWhileNoModelIsLoadedNeverScoringThem() {
    start("avro", false);
    pipe(TestModels.impression("early", 1L, 2, rnd), "avro");
    assertThat(scores.isEmpty()).isTrue();
    assertDead("no_model", "no model 'ctr' loaded yet", 0);
    publish(MODEL, 1, 11);
    pipe(TestModels.impression("later", 2L, 2, rnd), "avro");
    assertThat(scores.readValuesToList()).extracting(Score::getModelVersion).containsOnly(1L);
  }

  @Test
  void shouldLeaveOutTheLabelJoinWhenLabelsAreDisabled() {
    start("avro", false, TopologyConfig.LABELS_ENABLED_CONFIG, "false");
    publish(MODEL, 1, 11);
    pipe(TestModels.impression("n", 1L, 2, rnd), "avro");
    assertThat(scores.readValuesToList()).hasSize(2);
    assertThat(driver.producedTopicNames()).doesNotContain("labeled")
        .noneMatch(t -> t.contains(ScoringTopology.LABEL_JOIN_REPARTITION));
  }

  @Test
  void directPathWithoutLabelsShouldScoreAndRouteBadInputAsTheDecodedPathDoes() {
    // labels off, no shadow: records are read straight into features (ImpressionCodec.visit)
    start("avro", false, TopologyConfig.LABELS_ENABLED_CONFIG, "false");
    CtrModel v1 = publish(MODEL, 1, 11);
    Impression imp = TestModels.impression("d-1", 1_700_000_000_000L, 5, rnd);
    pipe(imp, "avro");
    assertLiveScores(scores.readValuesToList(), imp, v1);
    assertThat(MetricValues.value(prom, "ctr_candidates_scored", "variant", "live")).isEqualTo(5.0);

    Impression nan = TestModels.impression("d-2", 1L, 2, rnd);
    nan.getCandidates().get(1).getFeatures().put("bid", Double.NaN);
    pipe(nan, "avro");
    assertDead("non_finite", "candidates[1].features.bid", 1);
    Impression none = TestModels.impression("d-3", 1L, 1, rnd);
    none.setCandidates(new java.util.ArrayList<>());
    pipe(none, "avro");
    assertDead("empty_candidates", "d-3 has no candidates", 2);
    byte[] good = Schemas.IMPRESSION.encode(TestModels.impression("d-4", 1L, 1, rnd));
    impressions.pipeInput(null, java.util.Arrays.copyOf(good, good.length - 3));
    assertDead("bad_avro", "corrupt or truncated", 3);
    Impression text = TestModels.impression("d-5", 1L, 1, rnd);
    text.getCandidates().get(0).getFeatures().put("bid", "not a number");
    pipe(text, "avro");
    assertDead("wrong_type", "numeric field bid must be a number", 4);
    assertThat(scores.isEmpty()).isTrue();
  }

  /**
   * A numeric model field takes only numbers: a string there ("NaN", "3", "") is a validation
   * failure ({@code wrong_type}) in both formats and on both paths (JSON: decoded; Avro: read
   * straight from the bytes), never scored as missing and never {@code scoring_failed}.
   */
  @ParameterizedTest
  @ValueSource(strings = {"json", "avro"})
  void shouldRejectAStringInANumericFieldAsWrongTypeNamingFieldAndValue(String format) {
    start(format, false, TopologyConfig.LABELS_ENABLED_CONFIG, "false");
    CtrModel v1 = publish(MODEL, 1, 11);
    String[] strings = {"NaN", "notanumber", "3", "", "Infinity", "1.5"};
    long offset = 0;
    for (String s : strings) {
      Impression ctx = TestModels.impression("s-ctx-" + offset, 1L, 2, rnd);
      ctx.getContext().put("hour", s);
      pipe(ctx, format);
      assertDead("wrong_type", "context.hour", offset);
      offset++;
      Impression cand = TestModels.impression("s-cand-" + offset, 1L, 3, rnd);
      cand.getCandidates().get(2).getFeatures().put("bid", s);
      pipe(cand, format);
      TestRecord<byte[], byte[]> r = dlq.readRecord();
      assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo("wrong_type");
      assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_MESSAGE))
          .contains("candidates[2].features.bid", "numeric field bid must be a number", "\"" + s + "\"");
      offset++;
    }
    // the value is quoted to a bounded length
    Impression longValue = TestModels.impression("s-long", 1L, 1, rnd);
    longValue.getContext().put("hour", "9".repeat(5000));
    pipe(longValue, format);
    TestRecord<byte[], byte[]> r = dlq.readRecord();
    assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo("wrong_type");
    assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_MESSAGE)).contains("5000 characters").hasSizeLessThan(300);
    assertThat(DeadLetters.header(r.headers(), DeadLetters.TRUNCATED)).isNull();
    // a number that is not finite stays non_finite; nothing above was scored
    if (format.equals("json")) { // the JSON literal NaN (encodeJson would quote it)
      pipeRaw("{\"eventId\":\"s-nan\",\"context\":{\"hour\":NaN},\"candidates\":[{\"adId\":\"a\"}]}");
    } else {
      Impression nan = TestModels.impression("s-nan", 1L, 1, rnd);
      nan.getContext().put("hour", Double.NaN);
      pipe(nan, format);
    }
    assertDead("non_finite", "context.hour", offset + 1);
    assertThat(scores.isEmpty()).isTrue();
    assertThat(MetricValues.value(prom, "ctr_dlq_records", "topic", "impressions", "reason", "wrong_type"))
        .isEqualTo(2.0 * strings.length + 1);
    // categorical fields keep taking numbers (by their decimal string) and strings
    Impression numberCategory = TestModels.impression("s-ok", 1_700_000_000_000L, 2, rnd);
    numberCategory.getContext().put("user", 1005.0);
    pipe(numberCategory, format);
    Map<String, Object> stringCategory = new HashMap<>(numberCategory.getContext());
    stringCategory.put("user", "1005");
    Impression asString = new Impression(numberCategory.getEventId(), numberCategory.getTimestampMs(), stringCategory,
        numberCategory.getCandidates());
    assertLiveScores(scores.readValuesToList(), asString, v1);
  }

  @Test
  void shouldRefuseRegistriesThatDoNotMatchTheConfiguredModels() {
    TopologyConfig c = new TopologyConfig(Map.of(TopologyConfig.SHADOW_MODEL_NAME_CONFIG, "full"));
    TopologyMetrics m = new TopologyMetrics(new PrometheusRegistry());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScoringTopology.build(c,
            new ScoringTopology.Runtime(m, new ModelRegistry("other"), new ModelRegistry("full"), LabelListener.none(), () -> 0L)))
        .isInstanceOf(TopologyException.class).hasMessageContaining("live registry serves model 'other' but model.name is 'ctr'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScoringTopology.build(c,
            new ScoringTopology.Runtime(m, new ModelRegistry("ctr"), null, LabelListener.none(), () -> 0L)))
        .isInstanceOf(TopologyException.class).hasMessageContaining("shadow registry serves nothing but shadow.model.name is 'full'");
  }

  /**
   * A clock that moves 50 ms per read and remembers its first read (the task init, which sets
   * the first-model deadline), so the wait is measured on the clock the processor is given.
   */
  private static final class SteppingClock implements LongSupplier {
    final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    final AtomicLong first = new AtomicLong(-1);
    Runnable onRead = () -> { };

    @Override
    public long getAsLong() {
      long t = now.addAndGet(50);
      first.compareAndSet(-1, t);
      onRead.run();
      return t;
    }
  }

  @Test
  void shouldWaitOnlyABoundedTimeOnceForAFirstModel() {
    SteppingClock c = new SteppingClock();
    clock = c;
    start("avro", false, TopologyConfig.MODEL_WAIT_MS_CONFIG, "300");
    pipe(TestModels.impression("w1", 1L, 1, rnd), "avro");
    assertDead("no_model", "no model", 0);
    long firstMs = c.now.get() - c.first.get();
    long t1 = c.now.get();
    pipe(TestModels.impression("w2", 2L, 1, rnd), "avro");
    assertDead("no_model", "no model", 1);
    long secondMs = c.now.get() - t1;
    assertThat(firstMs).as("first record is not dead-lettered before model.wait.ms from task start").isGreaterThanOrEqualTo(300);
    assertThat(secondMs).as("later records do not wait again").isLessThan(300);
    assertThat(scores.isEmpty()).isTrue();
  }

  @Test
  void aModelLoadedDuringTheWaitShouldScoreTheWaitingRecord() {
    SteppingClock c = new SteppingClock();
    clock = c;
    CtrModel v1 = TestModels.model(MODEL, 1, 11);
    start("avro", false, TopologyConfig.MODEL_WAIT_MS_CONFIG, "300");
    // the global thread loads a model while the record waits (here: when the clock passes 150 ms)
    c.onRead = () -> {
      if (live.current() == null && c.now.get() - c.first.get() >= 150) {
        TestModels.offer(live, v1);
      }
    };
    Impression imp = TestModels.impression("w3", 1L, 2, rnd);
    pipe(imp, "avro");
    float[] want = expected(v1, imp);
    assertThat(scores.readValuesToList()).extracting(Score::getPctr).containsExactly((double) want[0], (double) want[1]);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shouldSwitchToANewVersionAndFollowPinAndUnpin() {
    start("avro", false);
    CtrModel v1 = publish(MODEL, 1, 11);
    pipe(TestModels.impression("a", 1L, 3, rnd), "avro");
    assertThat(scores.readValuesToList()).extracting(Score::getModelVersion).containsOnly(1L);
    CtrModel v2 = publish(MODEL, 2, 22);
    Impression b = TestModels.impression("b", 2L, 3, rnd);
    pipe(b, "avro");
    List<Score> outB = scores.readValuesToList();
    assertThat(outB).extracting(Score::getModelVersion).containsOnly(2L);
    assertThat(outB.get(0).getPctr()).isEqualTo((double) expected(v2, b)[0]);

    models.pipeInput(TestModels.pinRecord(MODEL, 1).key, TestModels.pinRecord(MODEL, 1).value);
    Impression c = TestModels.impression("c", 3L, 3, rnd);
    pipe(c, "avro");
    List<Score> outC = scores.readValuesToList();
    assertThat(outC).extracting(Score::getModelVersion).containsOnly(1L);
    assertThat(outC.get(2).getPctr()).isEqualTo((double) expected(v1, c)[2]);

    models.pipeInput(TestModels.pinRecord(MODEL, 1).key, (byte[]) null);
    pipe(TestModels.impression("d", 4L, 3, rnd), "avro");
    assertThat(scores.readValuesToList()).extracting(Score::getModelVersion).containsOnly(2L);
    assertThat(MetricValues.value(prom, "ctr_model_swaps", "model", MODEL, "role", "live")).isEqualTo(4.0);
  }

  @Test
  void shouldRejectCorruptChunkWhilePreviousModelKeepsServing() {
    start("avro", false);
    publish(MODEL, 1, 11);
    CtrModel v2 = TestModels.model(MODEL, 2, 22);
    publishRecords(TestModels.publishRecords(MODEL, 2, TestModels.ctrm(v2), 4096, true));
    pipe(TestModels.impression("a", 1L, 2, rnd), "avro");
    assertThat(scores.readValuesToList()).extracting(Score::getModelVersion).containsOnly(1L);
    assertThat(MetricValues.value(prom, "ctr_model_swaps_rejected", "model", MODEL, "role", "live", "reason", "checksum_mismatch"))
        .isEqualTo(1.0);
    // a version whose bytes are not a model at all: checksum fine, decode fails
    byte[] garbage = new byte[5000];
    new Random(SEED).nextBytes(garbage);
    publishRecords(TestModels.publishRecords(MODEL, 3, garbage, 4096, false));
    pipe(TestModels.impression("b", 2L, 2, rnd), "avro");
    assertThat(scores.readValuesToList()).extracting(Score::getModelVersion).containsOnly(1L);
    assertThat(MetricValues.value(prom, "ctr_model_swaps_rejected", "model", MODEL, "role", "live", "reason", "decode_failed"))
        .isEqualTo(1.0);
  }

  @Test
  void shouldJoinClicksIntoLabelsAndCloseWindowsWithNegatives() {
    start("json", false);
    publish(MODEL, 1, 11);
    Impression imp = TestModels.impression("e-7", 1_700_000_000_000L, 3, rnd);
    pipe(imp, "json");
    Map<String, Double> served = scores.readValuesToList().stream().collect(Collectors.toMap(Score::getAdId, Score::getPctr));
    String clickedAd = imp.getCandidates().get(1).getAdId();
    clicks.pipeInput("e-7".getBytes(StandardCharsets.UTF_8),
        ClickCodec.encodeJson(new Click("e-7", clickedAd, 1_700_000_002_000L)), 1_700_000_002_000L);
    List<LabeledExample> pos = labeled.readValuesToList();
    assertThat(pos).hasSize(1);
    assertThat(pos.get(0).getLabel()).isEqualTo(1);
    assertThat(pos.get(0).getAdId()).isEqualTo(clickedAd);
    assertThat(pos.get(0).getServedPctr()).isEqualTo(served.get(clickedAd));
    assertThat(pos.get(0).getModelVersion()).isEqualTo(1L);
    // stream time moves past the 10 s window with a later impression
    pipe(TestModels.impression("e-8", 1_700_000_020_000L, 1, rnd), "json");
    List<LabeledExample> neg = labeled.readValuesToList();
    assertThat(neg).extracting(LabeledExample::getEventId).containsOnly("e-7");
    assertThat(neg).extracting(LabeledExample::getLabel).containsOnly(0);
    assertThat(neg).extracting(LabeledExample::getAdId)
        .containsExactlyInAnyOrder(imp.getCandidates().get(0).getAdId(), imp.getCandidates().get(2).getAdId());
    assertThat(online.snapshot(MODEL, 1, "live").count()).isEqualTo(3);
    // a bad click goes to the DLQ with the clicks topic as source
    clicks.pipeInput(null, "{\"adId\":\"x\"}".getBytes(StandardCharsets.UTF_8));
    TestRecord<byte[], byte[]> d = dlq.readRecord();
    assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("clicks");
    assertThat(DeadLetters.header(d.headers(), DeadLetters.REASON)).isEqualTo("missing_field");
  }

  @Test
  void shouldScoreShadowModelAlongsideWithFidelity() {
    start("avro", true);
    CtrModel v1 = publish(MODEL, 1, 11);
    CtrModel full = publish("full", 7, 77);
    Impression imp = TestModels.impression("s-1", 1L, 4, rnd);
    pipe(imp, "avro");
    List<Score> out = scores.readValuesToList();
    assertThat(out).hasSize(8);
    List<Score> sh = out.stream().filter(s -> s.getVariant().equals("shadow")).toList();
    assertThat(sh).hasSize(4).extracting(Score::getModelName).containsOnly("full");
    assertThat(sh).extracting(Score::getModelVersion).containsOnly(7L);
    float[] wantShadow = expected(full, imp);
    float[] wantLive = expected(v1, imp);
    double diff = 0;
    for (int i = 0; i < 4; i++) {
      assertThat(sh.get(i).getPctr()).isEqualTo((double) wantShadow[i]);
      diff += Math.abs(logit(wantLive[i]) - logit(wantShadow[i]));
    }
    assertThat(MetricValues.value(prom, "ctr_candidates_scored", "variant", "shadow")).isEqualTo(4.0);
    assertThat(MetricValues.value(prom, "ctr_shadow_abs_logit_diff")).isCloseTo(diff, org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void theShadowShouldScoreOnlyTheSampledImpressionsTheSameOnEveryRun() {
    start("avro", true, TopologyConfig.SHADOW_SAMPLE_RATE_CONFIG, "0.25");
    publish(MODEL, 1, 11);
    publish("full", 7, 77);
    java.util.Set<String> expected = new java.util.HashSet<>();
    for (int i = 0; i < 400; i++) {
      Impression imp = TestModels.impression("sample-" + i, 1L, 1, rnd);
      pipe(imp, "avro");
      if (io.ctrstreams.topology.internal.ScoringProcessor.sampled(
          imp.getEventId().getBytes(StandardCharsets.UTF_8), 0.25)) {
        expected.add(imp.getEventId());
      }
    }
    List<Score> out = scores.readValuesToList();
    java.util.Set<String> shadowed = new java.util.HashSet<>();
    out.stream().filter(s -> s.getVariant().equals("shadow")).forEach(s -> shadowed.add(s.getEventId()));
    assertThat(out.stream().filter(s -> s.getVariant().equals("live"))).hasSize(400);
    assertThat(shadowed).isEqualTo(expected);
    assertThat(shadowed.size()).as("about a quarter of 400").isBetween(70, 130);
    assertThat(MetricValues.value(prom, "ctr_candidates_scored", "variant", "shadow")).isEqualTo(shadowed.size());
    byte[] id = "any-event".getBytes(StandardCharsets.UTF_8);
    assertThat(io.ctrstreams.topology.internal.ScoringProcessor.sampled(id, 0)).isFalse();
    assertThat(io.ctrstreams.topology.internal.ScoringProcessor.sampled(id, 1)).isTrue();
  }

  @Test
  void perImpressionScoresShouldCarryEveryCandidateOfAVariantInOneRecord() {
    start("avro", true, TopologyConfig.SCORES_FORMAT_CONFIG, "per-impression");
    CtrModel v1 = publish(MODEL, 1, 11);
    CtrModel full = publish("full", 7, 77);
    var raw = driver.createOutputTopic("scores", new ByteArrayDeserializer(),
        new AvroSerde<>(Schemas.IMPRESSION_SCORES).deserializer());
    Impression imp = TestModels.impression("pi-1", 5L, 5, rnd);
    pipe(imp, "avro");
    List<io.ctrstreams.schemas.ImpressionScores> out = raw.readValuesToList();
    assertThat(out).hasSize(2).extracting(io.ctrstreams.schemas.ImpressionScores::getVariant)
        .containsExactly("live", "shadow");
    float[] wantLive = expected(v1, imp);
    float[] wantShadow = expected(full, imp);
    for (io.ctrstreams.schemas.ImpressionScores r : out) {
      boolean live = r.getVariant().equals("live");
      assertThat(r.getEventId()).isEqualTo("pi-1");
      assertThat(r.getModelName()).isEqualTo(live ? MODEL : "full");
      assertThat(r.getModelVersion()).isEqualTo(live ? 1L : 7L);
      assertThat(r.getDeltaSequence()).isZero();
      assertThat(r.getTimestampMs()).isEqualTo(5L);
      assertThat(r.getScores()).hasSize(5);
      for (int i = 0; i < 5; i++) {
        assertThat(r.getScores().get(i).getAdId()).isEqualTo(imp.getCandidates().get(i).getAdId());
        assertThat(r.getScores().get(i).getPctr()).isEqualTo((double) (live ? wantLive[i] : wantShadow[i]));
      }
    }
    assertThat(MetricValues.value(prom, "ctr_candidates_scored", "variant", "live")).isEqualTo(5.0);
  }

  /**
   * The default configuration (labels on, shadow sampled) in the per-impression format: the label
   * join, the online metrics and the DLQ see exactly what they see with per-candidate scores (the
   * join reads what the scoring processor served, not the scores topic), and each labeled
   * example's pctrs are those of the impression's ImpressionScores records.
   */
  @Test
  void perImpressionScoresShouldLabelAndRouteBadInputAsPerCandidateDoes() {
    List<Impression> imps = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      imps.add(TestModels.impression("pl-" + i, 1_700_000_000_000L + 100 * i, 2 + i % 3, rnd));
    }
    imps.add(TestModels.impression("pl-late", 1_700_000_030_000L, 1, rnd));
    List<LabeledExample> byCandidate = null;
    for (String f : List.of("per-candidate", "per-impression")) {
      start("avro", true, StreamsConfig.APPLICATION_ID_CONFIG, "pl-" + f, TopologyConfig.SCORES_FORMAT_CONFIG, f,
          TopologyConfig.SHADOW_SAMPLE_RATE_CONFIG, "0.5");
      publish(MODEL, 1, 11);
      publish("full", 7, 77);
      var raw = driver.createOutputTopic("scores", new ByteArrayDeserializer(), new ByteArrayDeserializer());
      for (Impression imp : imps.subList(0, imps.size() - 1)) {
        pipe(imp, "avro");
      }
      impressions.pipeInput("bad".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, 0x01, 1, 2},
          1_700_000_000_000L); // its own time: it must not move stream time past the window
      Impression first = imps.get(0);
      clicks.pipeInput(first.getEventId().getBytes(StandardCharsets.UTF_8),
          Schemas.CLICK.encode(new Click(first.getEventId(), first.getCandidates().get(1).getAdId(), 1_700_000_002_000L)),
          1_700_000_002_000L);
      pipe(imps.get(imps.size() - 1), "avro"); // past the window: the others close with negatives
      List<byte[]> out = raw.readValuesToList();
      List<LabeledExample> ex = labeled.readValuesToList();
      TestRecord<byte[], byte[]> dead = dlq.readRecord();
      assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).isEqualTo("bad_avro");
      assertThat(dlq.isEmpty()).isTrue();
      int total = 0;
      for (Impression imp : imps.subList(0, imps.size() - 1)) {
        total += imp.getCandidates().size();
      }
      assertThat(ex).as(f + ": one label per candidate of the closed impressions").hasSize(total);
      assertThat(ex).filteredOn(e -> e.getLabel() == 1).extracting(LabeledExample::getAdId)
          .containsExactly(first.getCandidates().get(1).getAdId());
      assertThat(online.snapshot(MODEL, 1, "live").count()).isEqualTo(total);
      if (f.equals("per-impression")) {
        Map<String, io.ctrstreams.schemas.ImpressionScores> liveRecords = new HashMap<>();
        Map<String, io.ctrstreams.schemas.ImpressionScores> shadowRecords = new HashMap<>();
        for (byte[] b : out) {
          io.ctrstreams.schemas.ImpressionScores r = Schemas.IMPRESSION_SCORES.decode(b, null);
          (r.getVariant().equals("live") ? liveRecords : shadowRecords).put(r.getEventId(), r);
        }
        assertThat(liveRecords).hasSize(imps.size());
        for (LabeledExample e : ex) {
          io.ctrstreams.schemas.ImpressionScores live = liveRecords.get(e.getEventId());
          io.ctrstreams.schemas.ImpressionScores sh = shadowRecords.get(e.getEventId());
          int c = 0;
          while (!live.getScores().get(c).getAdId().equals(e.getAdId())) {
            c++;
          }
          assertThat(e.getServedPctr()).isEqualTo(live.getScores().get(c).getPctr());
          assertThat(e.getShadowPctr()).isEqualTo(sh == null ? null : sh.getScores().get(c).getPctr());
        }
        assertThat(shadowRecords.keySet()).as("the sampled impressions only")
            .allMatch(id -> ScoringTopologyTest.sampled(id, 0.5));
        assertThat(ex).as("the same labeled examples as per-candidate scores").isEqualTo(byCandidate);
      } else {
        byCandidate = ex;
      }
      driver.close();
      driver = null;
    }
  }

  private static boolean sampled(String eventId, double rate) {
    return io.ctrstreams.topology.internal.ScoringProcessor.sampled(eventId.getBytes(StandardCharsets.UTF_8), rate);
  }

  /** Scores and labeled examples of one run; shadow: none, same-encoding or other-encoding. */
  private record Run(List<Score> scores, List<LabeledExample> labeled) {}

  private Run runDefaultConfiguration(String format, String shadowKind, List<Impression> imps) {
    start(format, !shadowKind.equals("none"), StreamsConfig.APPLICATION_ID_CONFIG, "default-" + format);
    publish(MODEL, 1, 11);
    if (shadowKind.equals("same-encoding")) {
      publish("full", 7, 77);
    } else if (shadowKind.equals("other-encoding")) {
      publishRecords(TestModels.publishRecords("full", 7, TestModels.ctrm(TestModels.otherEncodingModel("full", 7, 77)),
          4096, false));
    }
    for (Impression imp : imps.subList(0, imps.size() - 1)) {
      pipe(imp, format);
    }
    Impression first = imps.get(0);
    Click click = new Click(first.getEventId(), first.getCandidates().get(1).getAdId(), 1_700_000_002_000L);
    clicks.pipeInput(first.getEventId().getBytes(StandardCharsets.UTF_8),
        format.equals("json") ? ClickCodec.encodeJson(click) : Schemas.CLICK.encode(click), 1_700_000_002_000L);
    pipe(imps.get(imps.size() - 1), format); // past the window: the others close with negatives
    Run r = new Run(scores.readValuesToList(), labeled.readValuesToList());
    assertThat(dlq.isEmpty()).isTrue();
    driver.close();
    driver = null;
    return r;
  }

  /**
   * The default configuration (labels on), without a shadow and with one that encodes like the
   * live model or not: Avro impressions, scored straight from their bytes, give exactly the
   * scores and labeled examples of the decoded path (the same impressions as JSON, which only
   * the decoded path reads), and those are the models' own pctrs.
   */
  @ParameterizedTest(name = "shadow {0}")
  @ValueSource(strings = {"none", "same-encoding", "other-encoding"})
  void defaultConfigurationShouldScoreAndLabelAsTheDecodedPath(String shadowKind) {
    List<Impression> imps = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      imps.add(TestModels.impression("dc-" + i, 1_700_000_000_000L + 100 * i, 2 + i, rnd));
    }
    imps.add(TestModels.impression("dc-late", 1_700_000_030_000L, 1, rnd));
    Run avro = runDefaultConfiguration("avro", shadowKind, imps);
    Run json = runDefaultConfiguration("json", shadowKind, imps);
    assertThat(avro.scores()).isEqualTo(json.scores());
    assertThat(avro.labeled()).isEqualTo(json.labeled());

    CtrModel v1 = TestModels.model(MODEL, 1, 11);
    CtrModel full = shadowKind.equals("none") ? null : shadowKind.equals("same-encoding")
        ? TestModels.model("full", 7, 77) : TestModels.otherEncodingModel("full", 7, 77);
    int total = 0;
    for (Impression imp : imps) {
      total += imp.getCandidates().size();
    }
    assertThat(avro.scores()).hasSize(full == null ? total : 2 * total);
    assertThat(avro.labeled()).as("one label per candidate of the closed impressions").hasSize(total - 1);
    for (LabeledExample ex : avro.labeled()) {
      Impression imp = imps.stream().filter(i -> i.getEventId().equals(ex.getEventId())).findFirst().orElseThrow();
      int c = 0;
      while (!imp.getCandidates().get(c).getAdId().equals(ex.getAdId())) {
        c++;
      }
      assertThat(ex.getServedPctr()).isEqualTo((double) expected(v1, imp)[c]);
      assertThat(ex.getShadowPctr()).isEqualTo(full == null ? null : (double) expected(full, imp)[c]);
      assertThat(ex.getFeatures()).isEqualTo(imp.getCandidates().get(c).getFeatures());
      assertThat(ex.getContext()).isEqualTo(imp.getContext());
      assertThat(ex.getLabel()).isEqualTo(ex.getEventId().equals("dc-0") && c == 1 ? 1 : 0);
    }
    for (Impression imp : imps) {
      List<Score> mine = avro.scores().stream().filter(x -> x.getEventId().equals(imp.getEventId())).toList();
      assertLiveScores(mine.stream().filter(x -> x.getVariant().equals("live")).toList(), imp, v1);
      if (full != null) {
        float[] want = expected(full, imp);
        List<Score> sh = mine.stream().filter(x -> x.getVariant().equals("shadow")).toList();
        assertThat(sh).extracting(Score::getPctr).containsExactly(toDoubles(want));
      }
    }
  }

  private static Double[] toDoubles(float[] f) {
    Double[] d = new Double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = (double) f[i];
    }
    return d;
  }

  private static double logit(float p) {
    return Math.log(p / (1.0 - p));
  }
}
