package io.ctrstreams.loadtest.chaos;

import io.ctrstreams.loadtest.Clients;
import io.ctrstreams.loadtest.ImpressionFactory;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Produces impressions with unique event ids at a steady rate on its own thread until stopped
 * (so input keeps arriving on every partition through a fault), registering each in the
 * {@link ScoreLedger} before the send and withdrawing it when the send fails for good. The
 * producer is idempotent with {@code acks=all}, so a broker restart cannot duplicate input.
 */
final class Feeder {
  private final KafkaProducer<byte[], byte[]> producer;
  private final ImpressionFactory factory;
  private final ScoreLedger ledger;
  private final String topic;
  private final double perSecond;
  private final Thread thread;
  private final AtomicLong failedSends = new AtomicLong();
  private volatile boolean stop;
  private boolean closed;
  private volatile long sent;

  Feeder(String bootstrap, String topic, ImpressionFactory factory, ScoreLedger ledger, double perSecond) {
    Map<String, Object> pc = Clients.idempotentProducer(bootstrap, "ctr-chaos-feeder");
    pc.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000); // outlive a broker restart
    pc.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000);
    this.producer = new KafkaProducer<>(pc);
    this.factory = factory;
    this.ledger = ledger;
    this.topic = topic;
    this.perSecond = perSecond;
    this.thread = new Thread(this::loop, "ctr-chaos-feeder");
    thread.setDaemon(true);
    thread.start();
  }

  /** Impressions handed to the producer so far. */
  long sent() {
    return sent;
  }

  /** Sends that failed for good (withdrawn from the ledger). */
  long failedSends() {
    return failedSends.get();
  }

  private void loop() {
    long start = System.nanoTime();
    for (long i = 0; !stop; i++) {
      long due = start + (long) (i * 1e9 / perSecond);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      }
      Impression imp = factory.impression(i, System.currentTimeMillis());
      List<String> ads = new ArrayList<>();
      for (Candidate c : imp.getCandidates()) {
        ads.add(c.getAdId());
      }
      String id = imp.getEventId();
      synchronized (ledger) {
        ledger.sent(id, ads);
      }
      try {
        producer.send(new ProducerRecord<>(topic, ImpressionFactory.key(imp), factory.encode(imp)), (md, e) -> {
          if (e != null) {
            failedSends.incrementAndGet();
            synchronized (ledger) {
              ledger.withdraw(id);
            }
          }
        });
      } catch (RuntimeException e) {
        failedSends.incrementAndGet();
        synchronized (ledger) {
          ledger.withdraw(id);
        }
      }
      sent = i + 1;
    }
  }

  /** Stops producing and flushes what is in flight (acknowledged or failed when this returns); idempotent. */
  void close() throws InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    stop = true;
    thread.join(330_000);
    producer.flush();
    producer.close(Duration.ofSeconds(30));
  }
}
