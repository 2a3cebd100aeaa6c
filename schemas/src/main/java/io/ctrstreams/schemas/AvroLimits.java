package io.ctrstreams.schemas;

/**
 * Caps on what Avro's decoders allocate for one declared string, bytes or collection length.
 * Avro's defaults (about 2 GiB) let one forged length in a record of a few bytes allocate a huge
 * array before the read fails; no ctr-streams record comes near these caps (Kafka's default
 * message size is 1 MiB, model chunks are at most 900 KiB). Avro reads the system properties once,
 * when it first checks a limit, so {@link #install()} must run before any decoding: the
 * {@code ctr} entry point calls it first thing, and the build's test JVMs set the same values.
 */
public final class AvroLimits {
  /** Largest string or bytes value Avro may allocate (16 MiB). */
  public static final long MAX_LENGTH = 16L << 20;
  /** Largest number of items in one array or map (1 Mi). */
  public static final long MAX_ITEMS = 1L << 20;

  private AvroLimits() {}

  /** Sets the Avro limit properties that are not set already (an explicit -D wins). */
  public static void install() {
    setIfAbsent("org.apache.avro.limits.string.maxLength", MAX_LENGTH);
    setIfAbsent("org.apache.avro.limits.bytes.maxLength", MAX_LENGTH);
    setIfAbsent("org.apache.avro.limits.collectionItems.maxLength", MAX_ITEMS);
  }

  private static void setIfAbsent(String name, long value) {
    if (System.getProperty(name) == null) {
      System.setProperty(name, Long.toString(value));
    }
  }
}
