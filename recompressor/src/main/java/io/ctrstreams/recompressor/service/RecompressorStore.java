package io.ctrstreams.recompressor.service;

import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.ModelRecords;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The recompressor's local state in RocksDB (one database, key prefixes):
 *
 * <pre>
 * meta/finished-full      long  newest full version whose compression finished (published or rejected)
 * meta/published          long  newest compressed version this service published
 * meta/last-success-ms    long  wall clock of the last accepted publish
 * meta/gate-logloss       double holdout logloss of the live candidate at its gate (drift baseline)
 * full/version            long  version of the stored full snapshot
 * full/manifest           bytes its manifest (Avro, as on the model-updates topic)
 * full/chunk/&lt;i&gt;          bytes its .ctrm file in the chunks it arrived in (full/chunks of them)
 * res/seen                long  impressions offered to the reservoir
 * res/&lt;slot&gt;              bytes raw impression record value
 * hold/next               long  holdout ring write position
 * hold/&lt;slot&gt;             bytes LabeledExample record value
 * </pre>
 *
 * <p>Reservoir: Vitter's algorithm R, so the reservoir is a uniform sample of every impression
 * seen so far; the random stream is seeded from the seen count, so a restart continues the same
 * sequence. The holdout is a ring of the latest labeled records (recent behaviour is what the
 * next model serves). Markers (finished, published) are written with {@code sync}: they are what
 * keeps a restart from redoing a finished version. The full snapshot stays in its chunks, so
 * storing and re-publishing it never joins a multi-MB array. Not thread-safe: the service thread
 * owns it.
 */
public final class RecompressorStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte[] FINISHED = key("meta/finished-full");
  private static final byte[] PUBLISHED = key("meta/published");
  private static final byte[] LAST_SUCCESS = key("meta/last-success-ms");
  private static final byte[] GATE_LOGLOSS = key("meta/gate-logloss");
  private static final byte[] FULL_VERSION = key("full/version");
  private static final byte[] FULL_MANIFEST = key("full/manifest");
  private static final byte[] FULL_CHUNKS = key("full/chunks");
  private static final byte[] RES_SEEN = key("res/seen");
  private static final byte[] HOLD_NEXT = key("hold/next");

  private final Path dir;
  private final int reservoirSize;
  private final int holdoutSize;
  private final Options options;
  private final RocksDB db;
  private final WriteOptions syncWrite;
  private final WriteOptions asyncWrite;
  private long seen;
  private long holdNext;
  private SplittableRandom random;

  /**
   * Opens (or creates) the store in {@code dir}.
   *
   * @param reservoirSize capacity of the calibration reservoir (impressions)
   * @param holdoutSize capacity of the holdout ring (labeled examples)
   * @param seed seed of the reservoir's sampling
   */
  public RecompressorStore(Path dir, int reservoirSize, int holdoutSize, long seed) {
    if (reservoirSize < 1 || holdoutSize < 1) {
      throw new RecompressorException("reservoir and holdout sizes must be >= 1, found "
          + reservoirSize + " and " + holdoutSize);
    }
    this.dir = dir;
    this.reservoirSize = reservoirSize;
    this.holdoutSize = holdoutSize;
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new RecompressorException("cannot create state dir " + dir + ": " + e.getMessage(), e);
    }
    options = new Options().setCreateIfMissing(true);
    try {
      db = RocksDB.open(options, dir.toAbsolutePath().toString());
    } catch (RocksDBException e) {
      options.close();
      throw new RecompressorException("cannot open RocksDB state in " + dir + ": " + e.getMessage(), e);
    }
    syncWrite = new WriteOptions().setSync(true);
    asyncWrite = new WriteOptions();
    seen = getLong(RES_SEEN, 0);
    holdNext = getLong(HOLD_NEXT, 0);
    random = new SplittableRandom(seed ^ (seen * 0x9E3779B97F4A7C15L));
  }

  /** The state directory. */
  public Path dir() {
    return dir;
  }

  /** Offers one impression record to the reservoir; returns whether it was kept. */
  public boolean offerImpression(byte[] value) {
    long n = seen++;
    int slot;
    if (n < reservoirSize) {
      slot = (int) n;
    } else {
      long j = random.nextLong(n + 1);
      slot = j < reservoirSize ? (int) j : -1;
    }
    try (WriteBatch b = new WriteBatch()) {
      b.put(RES_SEEN, longBytes(seen));
      if (slot >= 0) {
        b.put(key("res/" + slot), value);
      }
      db.write(asyncWrite, b);
    } catch (RocksDBException e) {
      throw failure("reservoir write", e);
    }
    return slot >= 0;
  }

  /** Impressions offered so far. */
  public long impressionsSeen() {
    return seen;
  }

  /** The reservoir's records (up to its capacity), slot order. */
  public List<byte[]> reservoir() {
    int n = (int) Math.min(seen, reservoirSize);
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] v = get(key("res/" + i));
      if (v != null) {
        out.add(v);
      }
    }
    return out;
  }

  /** Appends one labeled record to the holdout ring. */
  public void addLabeled(byte[] value) {
    long slot = holdNext++ % holdoutSize;
    try (WriteBatch b = new WriteBatch()) {
      b.put(HOLD_NEXT, longBytes(holdNext));
      b.put(key("hold/" + slot), value);
      db.write(asyncWrite, b);
    } catch (RocksDBException e) {
      throw failure("holdout write", e);
    }
  }

  /** Labeled records appended so far (all time). */
  public long labeledSeen() {
    return holdNext;
  }

  /** The holdout ring's records, oldest first. */
  public List<byte[]> holdout() {
    int n = (int) Math.min(holdNext, holdoutSize);
    List<byte[]> out = new ArrayList<>(n);
    for (long i = holdNext - n; i < holdNext; i++) {
      byte[] v = get(key("hold/" + (i % holdoutSize)));
      if (v != null) {
        out.add(v);
      }
    }
    return out;
  }

  /** Stores the latest full snapshot (replacing the previous one) in one synced batch. */
  public void putFullModel(AssemblyResult.Assembled full) {
    long previousChunks = getLong(FULL_CHUNKS, 0);
    try (WriteBatch b = new WriteBatch()) {
      for (int i = 0; i < full.chunks().size(); i++) {
        b.put(key("full/chunk/" + i), full.chunks().get(i));
      }
      for (long i = full.chunks().size(); i < previousChunks; i++) {
        b.delete(key("full/chunk/" + i));
      }
      b.put(FULL_CHUNKS, longBytes(full.chunks().size()));
      b.put(FULL_MANIFEST, ModelRecords.encode(full.manifest()));
      b.put(FULL_VERSION, longBytes(full.version()));
      db.write(syncWrite, b);
    } catch (RocksDBException e) {
      throw failure("full model write", e);
    }
  }

  /** The stored full snapshot (manifest and chunks), or null. */
  public AssemblyResult.Assembled fullModel() {
    byte[] manifest = get(FULL_MANIFEST);
    if (manifest == null) {
      return null;
    }
    List<byte[]> chunks = new ArrayList<>();
    for (long i = 0, n = getLong(FULL_CHUNKS, 0); i < n; i++) {
      chunks.add(get(key("full/chunk/" + i)));
    }
    try {
      return new AssemblyResult.Assembled(ModelRecords.decodeManifest(manifest), chunks);
    } catch (java.io.IOException | RuntimeException e) {
      throw new RecompressorException("stored full model manifest in " + dir + " is unreadable: " + e, e);
    }
  }

  /** Version of the stored full snapshot, or -1. */
  public long fullModelVersion() {
    return getLong(FULL_VERSION, -1);
  }

  /** Newest full version whose compression finished (published or rejected), or -1. */
  public long finishedFullVersion() {
    return getLong(FINISHED, -1);
  }

  /** Newest compressed version published by this service, or -1. */
  public long publishedVersion() {
    return getLong(PUBLISHED, -1);
  }

  /** Wall clock of the last accepted publish, or -1. */
  public long lastSuccessMs() {
    return getLong(LAST_SUCCESS, -1);
  }

  /** Holdout logloss of the live candidate at its gate, or NaN. */
  public double gateLogloss() {
    byte[] v = get(GATE_LOGLOSS);
    return v == null ? Double.NaN : ByteBuffer.wrap(v).getDouble();
  }

  /** Records a finished run: rejected (published < 0) or published as {@code published}. */
  public void markFinished(long fullVersion, long published, long nowMs, double gateLogloss) {
    try (WriteBatch b = new WriteBatch()) {
      b.put(FINISHED, longBytes(Math.max(fullVersion, finishedFullVersion())));
      if (published >= 0) {
        b.put(PUBLISHED, longBytes(published));
        b.put(LAST_SUCCESS, longBytes(nowMs));
        b.put(GATE_LOGLOSS, ByteBuffer.allocate(8).putDouble(gateLogloss).array());
      }
      db.write(syncWrite, b);
    } catch (RocksDBException e) {
      throw failure("finish marker write", e);
    }
  }

  /** Flushes the memtable so that everything written so far survives a crash of the process. */
  public void flush() {
    try (org.rocksdb.FlushOptions f = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      db.flush(f);
    } catch (RocksDBException e) {
      throw failure("flush", e);
    }
  }

  @Override
  public void close() {
    syncWrite.close();
    asyncWrite.close();
    db.close();
    options.close();
  }

  private long getLong(byte[] k, long dflt) {
    byte[] v = get(k);
    return v == null ? dflt : ByteBuffer.wrap(v).getLong();
  }

  private byte[] get(byte[] k) {
    try {
      return db.get(k);
    } catch (RocksDBException e) {
      throw failure("read of " + new String(k, StandardCharsets.UTF_8), e);
    }
  }

  private RecompressorException failure(String what, RocksDBException e) {
    return new RecompressorException("RocksDB " + what + " failed in " + dir + ": " + e.getMessage(), e);
  }

  private static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }
}
