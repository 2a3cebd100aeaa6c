package io.ctrstreams.server;

import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.server.internal.RequestScorer;
import io.ctrstreams.server.internal.ServedLog;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.internal.Served;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every served request to the label join's input ({@code topic.served}): the served impression
 * with its live scores, model version and shadow scores, as a {@link LabelJoinEvent} keyed by event
 * id, the record the topology's scoring processor hands its label join ({@link Served#toServedImpression}),
 * so clicks on RPC-served ads become labels, online AUC and training data like topology-served ones.
 * Each carries {@code source = "rpc"}, so the online metrics keep a series of their own for it
 * ({@code ctr_online_auc{source="rpc"}}).
 *
 * <p>Off the response path: the request thread copies the scores into a bounded queue and returns;
 * one named thread encodes and produces. When the queue is full (Kafka slow or down) a request is
 * dropped and counted ({@code ctr_impression_log_dropped_total}), unless configured to block. The
 * producer is idempotent (the Kafka default), so a retried send is not logged twice.
 */
public final class ImpressionLog implements ServedLog, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImpressionLog.class);
  /** The {@code source} of every impression logged here: its labels and online metrics say "rpc". */
  public static final String SOURCE = "rpc";
  private static final Pending STOP = new Pending(null, null, null, null, null);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final BlockingQueue<Pending> queue;
  private final boolean block;
  private final Thread thread;
  private final CounterDataPoint queued;
  private final CounterDataPoint dropped;
  private final CounterDataPoint sent;
  private final CounterDataPoint failed;

  /**
   * A log producing to {@code topic} with {@code producerConfig}.
   *
   * @param capacity requests the queue holds
   * @param blockWhenFull block the request thread on a full queue instead of dropping
   */
  public ImpressionLog(Map<String, Object> producerConfig, String topic, int capacity, boolean blockWhenFull,
      PrometheusRegistry registry) {
    this(new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer()), topic, capacity,
        blockWhenFull, registry);
  }

  ImpressionLog(Producer<byte[], byte[]> producer, String topic, int capacity, boolean blockWhenFull,
      PrometheusRegistry registry) {
    this.producer = producer;
    this.topic = topic;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.block = blockWhenFull;
    Counter c = Counter.builder().name("ctr_impression_log_records_total")
        .help("Served requests of the impression log, by outcome: queued, sent (acknowledged by Kafka), failed (the send failed).")
        .labelNames("outcome").register(registry);
    queued = c.labelValues("queued");
    sent = c.labelValues("sent");
    failed = c.labelValues("failed");
    dropped = Counter.builder().name("ctr_impression_log_dropped_total")
        .help("Served requests not logged because the log queue was full (Kafka slow or unreachable).")
        .register(registry).labelValues();
    GaugeWithCallback.builder().name("ctr_impression_log_queue_size")
        .help("Served requests waiting to be produced.")
        .callback(cb -> cb.call(queue.size())).register(registry);
    this.thread = new Thread(this::run, "ctr-serve-impression-log");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void served(RequestScorer.Result r) {
    // a request encoded straight from its bytes or tensors gets its impression on the log thread, not here
    Pending s = new Pending(r.deferredImpression(), r.model(), r.pctrs(), r.shadowModel(),
        r.shadowModel() == null ? null : r.shadowPctrs());
    if (block) {
      try {
        queue.put(s);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        dropped.inc();
        return;
      }
    } else if (!queue.offer(s)) {
      dropped.inc();
      return;
    }
    queued.inc();
  }

  private void run() {
    try {
      while (true) {
        Pending p = queue.take();
        if (p == STOP) {
          return;
        }
        try {
          ServedImpression si = p.served().toServedImpression(null, SOURCE); // decoded: the codec is not used
          byte[] value = Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(si, null));
          byte[] key = si.getEventId().getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(topic, key, value), (md, e) -> {
            if (e == null) {
              sent.inc();
            } else {
              failed.inc();
              LOG.warn("impression {} not logged to {}: {}", si.getEventId(), topic, e.toString());
            }
          });
        } catch (RuntimeException e) {
          failed.inc();
          LOG.warn("impression not logged to {}", topic, e);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One served request waiting for the log thread: its impression, built here (off the request
   * thread) when the request was scored straight from its bytes or tensors (they were valid then).
   */
  private record Pending(Supplier<Impression> impression, ServedModel live, float[] pctr, ServedModel shadow,
      float[] shadowPctr) {
    Served served() {
      Impression imp = impression.get();
      return new Served(null, imp.getTimestampMs(), imp, live, pctr, shadow, shadowPctr);
    }
  }

  /** Produces what is queued, flushes and closes the producer. */
  @Override
  public void close() {
    try {
      if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
        thread.interrupt(); // stuck in a send to an unreachable cluster with a full queue: give up the rest
      }
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(30));
  }
}
