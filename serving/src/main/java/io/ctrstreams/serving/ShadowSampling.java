package io.ctrstreams.serving;

import org.apache.kafka.common.utils.Utils;

/**
 * Which requests a shadow model scores ({@code shadow.sample.rate}): the same choice in every
 * scorer (the topology by event id, {@code ctr serve} by request id), on every instance and every
 * restart, so a full-model shadow costs only the sampled fraction.
 */
public final class ShadowSampling {
  private ShadowSampling() {}

  /**
   * Whether the request with these id bytes is in the shadow's sample at {@code rate}: murmur2 of
   * the id (Kafka's partitioner hash) below {@code rate} of its range.
   */
  public static boolean sampled(byte[] id, double rate) {
    if (rate >= 1) {
      return true;
    }
    return rate > 0 && Utils.toPositive(Utils.murmur2(id)) < rate * 0x80000000L;
  }
}
