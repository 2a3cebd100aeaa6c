package io.ctrstreams.cli.demo;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.ServiceThread;
import io.ctrstreams.trainer.data.SyntheticEvent;
import io.ctrstreams.trainer.data.SyntheticStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Replays a {@link SyntheticStream} in real time into the impressions and clicks topics, in the
 * topology's input format (Avro single-object encoding, or JSON): each impression carries one
 * candidate ad, and each clicked impression is followed by a click after the stream's delay.
 *
 * <p>The stream's event time starts at the wall clock of {@link #start()} and advances at the
 * configured rate; the thread ({@code ctr-demo-traffic}) sends each event when the wall clock
 * reaches its event time, so event time and processing time agree (the label join's attribution
 * window runs on stream time). If the producer falls behind it catches up without sleeping.
 * With {@link #rpc} a share of the impressions is scored over REST by {@code ctr serve} instead.
 */
public final class SyntheticTraffic implements AutoCloseable {
  private final Map<String, Object> producerConfig;
  private final String impressionsTopic;
  private final String clicksTopic;
  private final long seed;
  private final double ratePerSecond;
  private final double clickDelayMeanMs;
  private final WireFormat format;
  private final ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, 1);
  private final ServiceThread worker = new ServiceThread();
  private final AtomicLong impressions = new AtomicLong();
  private final AtomicLong clicks = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong rpcSent = new AtomicLong();
  private final AtomicLong rpcFailed = new AtomicLong();
  private volatile RpcRoute rpc;
  private volatile double rpcShare;
  private KafkaProducer<byte[], byte[]> producer;

  /**
   * Sends an impression to {@code ctr serve} instead of the impressions topic: false when the
   * server cannot take it now (no model yet), and the impression goes to the topic instead.
   */
  @FunctionalInterface
  public interface RpcRoute {
    /** Starts an asynchronous request for {@code jsonImpression}; {@code failed} runs if it fails. */
    boolean trySend(byte[] jsonImpression, Runnable failed);
  }

  /**
   * @param producerConfig client settings, at least {@code bootstrap.servers}
   * @param seed the synthetic stream's seed (the trainer uses the same seed to see the same teacher)
   * @param ratePerSecond impressions per second, > 0
   * @param clickDelayMeanMs mean click delay after its impression (capped at 10x by the stream)
   * @param format {@link WireFormat#AVRO} or {@link WireFormat#JSON}
   */
  public SyntheticTraffic(Map<String, Object> producerConfig, String impressionsTopic, String clicksTopic,
      long seed, double ratePerSecond, double clickDelayMeanMs, WireFormat format) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("impressions per second must be > 0, found " + ratePerSecond);
    }
    if (format == WireFormat.AUTO) {
      throw new IllegalArgumentException("traffic format must be avro or json, found auto");
    }
    this.producerConfig = Map.copyOf(producerConfig);
    this.impressionsTopic = impressionsTopic;
    this.clicksTopic = clicksTopic;
    this.seed = seed;
    this.ratePerSecond = ratePerSecond;
    this.clickDelayMeanMs = clickDelayMeanMs;
    this.format = format;
  }

  /** The ad id of the single candidate of impression {@code eventId} (clicks need the same id). */
  public static String adId(String eventId) {
    return "ad-" + Integer.toHexString(eventId.hashCode() & 0xffff);
  }

  /**
   * From now on sends the share {@code share} of impressions (chosen by a hash of the event id, so
   * deterministic) through {@code route}, the request/response path; their clicks still go to the
   * clicks topic, and the server's impression log brings them to the label join.
   */
  public SyntheticTraffic rpc(RpcRoute route, double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("rpc share must be within [0, 1], found " + share);
    }
    this.rpcShare = share;
    this.rpc = route;
    return this;
  }

  /** Starts sending. */
  public synchronized SyntheticTraffic start() {
    worker.checkNotStarted("traffic");
    Map<String, Object> p = new HashMap<>(producerConfig);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ctr-demo-traffic");
    producer = new KafkaProducer<>(p);
    SyntheticStream stream = new SyntheticStream(seed, System.currentTimeMillis(), ratePerSecond, clickDelayMeanMs);
    worker.start("ctr-demo-traffic", true, () -> run(stream), e -> { });
    return this;
  }

  private void run(SyntheticStream stream) {
    while (!worker.stopping()) {
      SyntheticEvent ev = stream.next();
      long wait = ev.timestampMs() - System.currentTimeMillis();
      if (wait > 0) {
        LockSupport.parkNanos(wait * 1_000_000L);
        if (worker.stopping()) {
          break;
        }
      }
      if (ev instanceof SyntheticEvent.Impression imp) {
        RpcRoute route = rpc;
        if (route != null && (imp.eventId().hashCode() & 0x7fffffff) % 10_000 < rpcShare * 10_000
            && route.trySend(ImpressionCodec.encodeJson(impression(imp)), rpcFailed::incrementAndGet)) {
          rpcSent.incrementAndGet();
        } else {
          send(impressionsTopic, imp.eventId(), impressionBytes(imp), imp.timestampMs());
        }
        impressions.incrementAndGet();
      } else if (ev instanceof SyntheticEvent.Click c) {
        Click click = new Click(c.impressionId(), adId(c.impressionId()), c.timestampMs());
        byte[] v = format == WireFormat.JSON ? io.ctrstreams.schemas.ClickCodec.encodeJson(click)
            : Schemas.CLICK.encode(click);
        send(clicksTopic, c.impressionId(), v, c.timestampMs());
        clicks.incrementAndGet();
      }
    }
  }

  private byte[] impressionBytes(SyntheticEvent.Impression imp) {
    Impression out = impression(imp);
    return format == WireFormat.JSON ? ImpressionCodec.encodeJson(out) : codec.encodeAvro(out);
  }

  private static Impression impression(SyntheticEvent.Impression imp) {
    return Impression.newBuilder()
        .setEventId(imp.eventId())
        .setTimestampMs(imp.timestampMs())
        .setContext(new HashMap<>(imp.context()))
        .setCandidates(List.of(new Candidate(adId(imp.eventId()), new HashMap<>(imp.candidate()))))
        .build();
  }

  private void send(String topic, String key, byte[] value, long timestampMs) {
    producer.send(new ProducerRecord<>(topic, null, timestampMs, key.getBytes(StandardCharsets.UTF_8), value),
        (md, e) -> {
          if (e != null) {
            sendErrors.incrementAndGet();
          }
        });
  }

  /** Impressions handed to the producer. */
  public long impressionsSent() {
    return impressions.get();
  }

  /** Impressions sent to the server (included in {@link #impressionsSent()}). */
  public long rpcSent() {
    return rpcSent.get();
  }

  /** Server requests that failed (no 200). */
  public long rpcFailed() {
    return rpcFailed.get();
  }

  /** Clicks handed to the producer. */
  public long clicksSent() {
    return clicks.get();
  }

  /** Sends that failed (reported asynchronously by the producer). */
  public long sendErrors() {
    return sendErrors.get();
  }

  /** What stopped the thread early, or null. */
  public Throwable failure() {
    return worker.failure();
  }

  /** Stops the thread and closes the producer (flushing what was sent). */
  @Override
  public synchronized void close() {
    if (worker.stop(10_000)) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
