package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * The {@code source} field (which path served an impression: the topology, or {@code ctr serve} as
 * "rpc") was added to the label join's records and to labeled examples: records written before it,
 * by an older topology into its repartition topic, state store or the labeled topic, still decode
 * (as the stream path), and the new records carry it both ways.
 */
class LabelSourceSchemaTest {

  @Test
  void labelJoinEventsWrittenBeforeSourceShouldDecodeAsTheStreamPath() throws IOException {
    Schema v1 = Schemas.LABEL_JOIN_EVENT_V1;
    Schema servedV1 = v1.getField("served").schema().getTypes().get(1);
    GenericRecord event = new GenericData.Record(v1);
    event.put("served", servedV1(servedV1));
    event.put("click", null);
    LabelJoinEvent e = Schemas.LABEL_JOIN_EVENT.decode(encode(v1, event), null);
    assertThat(e.getServed().getEventId()).isEqualTo("e1");
    assertThat(e.getServed().getModelVersion()).isEqualTo(3L);
    assertThat(e.getServed().getCandidates()).hasSize(1);
    assertThat(e.getServed().getSource()).isNull();
  }

  @Test
  void labelJoinStateWrittenBeforeSourceShouldDecode() throws IOException {
    Schema v1 = Schemas.LABEL_JOIN_STATE_V1;
    GenericRecord st = new GenericData.Record(v1);
    st.put("served", servedV1(v1.getField("served").schema().getTypes().get(1)));
    st.put("servedAtMs", 10L);
    st.put("clickedAdIds", List.of("a1"));
    st.put("pendingClicks", List.of());
    st.put("firstSeenMs", 9L);
    LabelJoinState s = Schemas.LABEL_JOIN_STATE.decode(encode(v1, st), null);
    assertThat(s.getServed().getSource()).isNull();
    assertThat(s.getServedAtMs()).isEqualTo(10L);
    assertThat(s.getClickedAdIds()).containsExactly("a1");
  }

  @Test
  void labeledExamplesWrittenBeforeSourceShouldDecode() throws IOException {
    Schema v1 = Schemas.LABELED_EXAMPLE_V1;
    GenericRecord ex = new GenericData.Record(v1);
    ex.put("eventId", "e1");
    ex.put("adId", "a1");
    ex.put("context", Map.of());
    ex.put("features", Map.of());
    ex.put("label", 1);
    ex.put("servedPctr", 0.25);
    ex.put("modelName", "ctr");
    ex.put("modelVersion", 4L);
    ex.put("impressionTimestampMs", 1L);
    ex.put("labeledAtMs", 2L);
    LabeledExample e = Schemas.LABELED_EXAMPLE.decode(encode(v1, ex), null);
    assertThat(e.getLabel()).isEqualTo(1);
    assertThat(e.getServedPctr()).isEqualTo(0.25);
    assertThat(e.getModelVersion()).isEqualTo(4L);
    assertThat(e.getSource()).isNull();
  }

  @Test
  void currentRecordsShouldCarryTheSource() throws IOException {
    ServedImpression si = new ServedImpression("e2", 5L, Map.of(),
        List.of(new ServedCandidate("a", Map.of(), 0.5, null)), "ctr", 7L, null, null, "rpc");
    LabelJoinEvent back = Schemas.LABEL_JOIN_EVENT.decode(Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(si, null)), null);
    assertThat(back.getServed().getSource()).isEqualTo("rpc");
    assertThat(back.getServed()).isEqualTo(si);
  }

  private static GenericRecord servedV1(Schema servedSchema) {
    Schema candidateSchema = servedSchema.getField("candidates").schema().getElementType();
    GenericRecord c = new GenericData.Record(candidateSchema);
    c.put("adId", "a1");
    c.put("features", Map.of());
    c.put("pctr", 0.125);
    c.put("shadowPctr", null);
    GenericRecord s = new GenericData.Record(servedSchema);
    s.put("eventId", "e1");
    s.put("timestampMs", 1L);
    s.put("context", Map.of());
    s.put("candidates", List.of(c));
    s.put("modelName", "ctr");
    s.put("modelVersion", 3L);
    s.put("shadowModelName", null);
    s.put("shadowModelVersion", null);
    return s;
  }

  private static byte[] encode(Schema schema, GenericRecord r) throws IOException {
    return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(r).array();
  }
}
