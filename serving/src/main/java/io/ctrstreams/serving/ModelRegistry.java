package io.ctrstreams.serving;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.PagedModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ReadOptions;
import io.ctrstreams.schemas.ModelManifest;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one model name: decodes published versions, checks them, and swaps the served model
 * atomically.
 *
 * <p><b>Threading.</b> {@link #current()} is a lock-free read of an {@link AtomicReference}; stream
 * threads call only that. Decoding and checking run on the thread that calls {@link #offer} (the
 * Kafka Streams global thread, or a plain consumer), never on stream threads; mutating methods are
 * synchronized, so pins from an admin thread are safe too.
 *
 * <p><b>Versions.</b> The registry retains the newest {@code retainedVersions} decoded versions
 * plus the pinned one, so {@link #pin}/{@link #unpin} switch without re-reading the topic.
 * Unpinned, it serves the newest retained version; pinned, it serves the pinned version and only
 * retains newer ones. A pin to a version it does not hold is rejected
 * ({@link RejectReason#PIN_TO_MISSING_VERSION}) but remembered: if that version arrives later it
 * is served.
 *
 * <p><b>Identity.</b> The transport names a model: the served name is this registry's and the
 * served version the manifest's. The name and version written inside the .ctrm are provenance
 * (what the trainer or compressor produced) and may differ; they are never rewritten.
 *
 * <p><b>Rejections.</b> A corrupt, incomplete, checksum-failing or spec-incompatible version is
 * rejected: counted per reason, logged in one line naming model, version and reason, reported to
 * the listeners, and the previous model keeps serving.
 *
 * <p><b>Expected inputs.</b> Compatibility is checked against the served model and, before the
 * first one, against the {@linkplain #expect expected spec} (configured, or persisted from the
 * first model an earlier run served), so a fresh scorer does not serve a model built for other
 * inputs just because it is the newest on the topic. Without one, the first model served becomes
 * the expected spec.
 *
 * <p><b>Checkpoint.</b> With a {@link ModelCheckpoint}, every model served from an offer is saved
 * there, and {@link #restore} serves a saved one at start-up. While the restored model is served,
 * older versions replayed from the topic are retained (so a replayed pin can switch to them)
 * rather than rejected as older than the served one.
 */
public final class ModelRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** Default number of newest versions kept decoded (the served one and the one before). */
  public static final int DEFAULT_RETAINED_VERSIONS = 2;

  /** What an offer did. */
  public enum Outcome {
    /** The offered model (or the pin target) is served now. */
    SWAPPED,
    /** Decoded and retained, but not served (a pin holds another version). */
    RETAINED,
    /** Rejected; the served model did not change. */
    REJECTED,
    /** Nothing to do (another model's record, a buffered chunk, a pin already in effect). */
    IGNORED
  }

  private final String name;
  private final CompatibilityCheck compatibility;
  private final int retainedVersions;
  private final Clock clock;
  private final AtomicReference<ServedModel> current = new AtomicReference<>();
  private final TreeMap<Long, ServedModel> retained = new TreeMap<>();
  /** Off-heap copy of the chunks being decoded; reused across swaps (guarded by this). */
  private ByteBuffer decodeBuffer;
  private final List<RegistryListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong swaps = new AtomicLong();
  private final Map<RejectReason, AtomicLong> rejects = new EnumMap<>(RejectReason.class);
  private final Map<DeltaApplier.Outcome, AtomicLong> deltaOutcomes = new EnumMap<>(DeltaApplier.Outcome.class);
  private final AtomicLong deltasWhilePinned = new AtomicLong();
  private long pinned = -1;
  private ModelSpec expected;
  private ModelCheckpoint checkpoint;
  private boolean servingRestored;

  /** A registry with the default compatibility check and retention. */
  public ModelRegistry(String name) {
    this(name, CompatibilityCheck.SAME_INPUT_FIELDS, DEFAULT_RETAINED_VERSIONS, Clock.systemUTC());
  }

  /**
   * A registry.
   *
   * @param name the model name it serves
   * @param compatibility decides whether a new model may replace the served one
   * @param retainedVersions newest versions kept decoded, >= 1
   * @param clock source of {@link ServedModel#loadedAt()}
   */
  public ModelRegistry(
      String name, CompatibilityCheck compatibility, int retainedVersions, Clock clock) {
    this.name = ModelKeys.checkModelName(name);
    this.compatibility = Objects.requireNonNull(compatibility, "compatibility");
    if (retainedVersions < 1) {
      throw new IllegalArgumentException("retainedVersions must be >= 1, found " + retainedVersions);
    }
    this.retainedVersions = retainedVersions;
    this.clock = Objects.requireNonNull(clock, "clock");
    for (RejectReason r : RejectReason.values()) {
      rejects.put(r, new AtomicLong());
    }
    for (DeltaApplier.Outcome o : DeltaApplier.Outcome.values()) {
      deltaOutcomes.put(o, new AtomicLong());
    }
  }

  /**
   * Applies a compressed delta to the served version without a pause and without copying it
   * ({@link PagedModel}: copy-on-write table pages): checked against the served version's chain
   * (base = served version, next sequence, hash afterwards), then the delta-updated model is
   * swapped in with the same atomic reference, as the same version with {@link
   * ServedModel#deltaSequence()} advanced. A refused delta changes nothing (the last good weights
   * keep serving) and returns why; while a version is pinned no delta is applied
   * ({@code null} is returned and counted in {@link #deltasWhilePinned()}).
   */
  public synchronized DeltaApplier.Outcome applyDelta(ModelDelta d) {
    Objects.requireNonNull(d, "delta");
    ServedModel served = current.get();
    if (pinned >= 0) {
      deltasWhilePinned.incrementAndGet();
      return null;
    }
    DeltaApplier.Outcome o;
    if (served == null) {
      o = DeltaApplier.Outcome.UNKNOWN_BASE;
    } else {
      PagedModel chain = served.chain() != null ? served.chain() : PagedModel.of(served.model(), served.version());
      PagedModel.Result r = chain.apply(d);
      o = r.outcome();
      if (o == DeltaApplier.Outcome.APPLIED) {
        ServedModel next = new ServedModel(name, served.version(), served.model(), r.model().scorer(),
            clock.instant(), served.sizeBytes(), served.metadata(), served.manifest(), d.sequence(), d.createdAtMs(),
            r.model());
        retained.put(next.version(), next);
        current.set(next);
        for (RegistryListener l : listeners) {
          try {
            l.onDelta(served, next);
          } catch (RuntimeException e) {
            LOG.warn("registry listener {} failed on a delta of model {}", l, name, e);
          }
        }
      }
    }
    deltaOutcomes.get(o).incrementAndGet();
    return o;
  }

  /** Deltas {@link #applyDelta} ended with {@code o}. */
  public long deltaCount(DeltaApplier.Outcome o) {
    return deltaOutcomes.get(o).get();
  }

  /** Deltas not applied because a version was pinned. */
  public long deltasWhilePinned() {
    return deltasWhilePinned.get();
  }

  /** The served model name. */
  public String name() {
    return name;
  }

  /** The served model, or null until the first good model; lock-free, for stream threads. */
  public ServedModel current() {
    return current.get();
  }

  /**
   * Sets the inputs served models must fit ({@link CompatibilityCheck} against {@code spec}) while
   * no model is served; afterwards the served model's spec is the reference.
   */
  public synchronized void expect(ModelSpec spec) {
    this.expected = Objects.requireNonNull(spec, "spec");
  }

  /** The expected spec: set by {@link #expect}, or the first served model's; empty before either. */
  public synchronized Optional<ModelSpec> expectedSpec() {
    return Optional.ofNullable(expected);
  }

  /**
   * Saves every model served from an offer to {@code checkpoint}, and the expected spec when the
   * first model sets it. Call before the first offer.
   */
  public synchronized void checkpointTo(ModelCheckpoint checkpoint) {
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
  }

  /**
   * Serves a checkpointed model (at start-up, before the topic is replayed), checked like an
   * offer; not saved again.
   */
  public synchronized Outcome restore(ModelCheckpoint.Restored saved) {
    Outcome o = load(saved.manifest(), ByteBuffer.wrap(saved.bytes()), false);
    if (o == Outcome.SWAPPED) {
      servingRestored = true;
    }
    return o;
  }

  /** Registers a listener (metrics export, logging). */
  public void addListener(RegistryListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Applies one assembler result: assembled bytes are decoded and offered, rejections counted,
   * pins applied. Results for other model names are ignored.
   */
  public Outcome apply(AssemblyResult result) {
    if (!result.model().equals(name)) {
      return Outcome.IGNORED;
    } else if (result instanceof AssemblyResult.Assembled a) {
      return offer(a.manifest(), a.chunks());
    } else if (result instanceof AssemblyResult.Rejected r) {
      reject(r.version(), r.reason(), r.message());
      return Outcome.REJECTED;
    } else if (result instanceof AssemblyResult.Pin p) {
      return pin(p.version());
    }
    return result instanceof AssemblyResult.Unpin ? unpin() : Outcome.IGNORED;
  }

  /**
   * Decodes {@code ctrmBytes} (a .ctrm file whose checksum the assembler verified) as the version
   * named by {@code manifest}, checks it and serves it unless a pin holds another version.
   */
  public synchronized Outcome offer(ModelManifest manifest, byte[] ctrmBytes) {
    Objects.requireNonNull(manifest, "manifest");
    return load(manifest, ByteBuffer.wrap(ctrmBytes), true);
  }

  /**
   * As {@link #offer(ModelManifest, byte[])} for a file in chunks (as assembled from the models
   * topic), decoded from this registry's reused off-heap buffer ({@link AssemblyResult.Assembled#copyInto}).
   */
  public synchronized Outcome offer(ModelManifest manifest, List<byte[]> chunks) {
    Objects.requireNonNull(manifest, "manifest");
    try {
      decodeBuffer = new AssemblyResult.Assembled(manifest, chunks).copyInto(decodeBuffer);
    } catch (ServingException e) {
      reject(manifest.getVersion(), RejectReason.BUFFER_OVERFLOW, e.getMessage());
      return Outcome.REJECTED;
    }
    return load(manifest, decodeBuffer, true);
  }

  /**
   * Decodes the remaining bytes of {@code bytes} (not kept: the tensors are copies); saves them
   * to the checkpoint when served and {@code save}.
   */
  private Outcome load(ModelManifest manifest, ByteBuffer bytes, boolean save) {
    long version = manifest.getVersion();
    if (retained.containsKey(version)) {
      return Outcome.IGNORED; // a replay of a version already held
    }
    ServedModel served = current.get();
    boolean older = served != null && version < served.version();
    if (pinned < 0 && older && !servingRestored) {
      reject(version, RejectReason.OLDER_THAN_CURRENT,
          "version " + version + " is older than the served version " + served.version());
      return Outcome.REJECTED;
    }
    CtrModel model;
    try {
      // served as the manifest's version; the file's own is provenance
      model = CtrModel.fromFile(CtrmFormat.read(bytes, ReadOptions.defaults()));
    } catch (RuntimeException e) {
      reject(version, RejectReason.DECODE_FAILED, e.getMessage());
      return Outcome.REJECTED;
    }
    if (served != null || expected != null) {
      ModelSpec reference = served != null ? served.model().spec() : expected;
      Optional<String> why = compatibility.incompatibility(reference, model.spec());
      if (why.isPresent()) {
        reject(version, RejectReason.SPEC_INCOMPATIBLE, served != null ? why.get()
            : "not the expected inputs (model.expected.spec, or the first model served): " + why.get());
        return Outcome.REJECTED;
      }
    }
    Map<String, String> meta = new LinkedHashMap<>(model.metadata());
    meta.putAll(manifest.getMetadata());
    ServedModel next = new ServedModel(name, version, model, model.scorer(), clock.instant(),
        bytes.remaining(), meta, manifest);
    retained.put(version, next);
    Outcome outcome;
    if ((pinned < 0 && !older) || pinned == version) {
      swapTo(next);
      outcome = Outcome.SWAPPED;
      if (save) {
        servingRestored = false;
        saveCheckpoint(manifest, bytes, model.spec());
      }
    } else {
      outcome = Outcome.RETAINED;
    }
    evict();
    return outcome;
  }

  /**
   * Serves {@code version} until {@link #unpin()}; switches at once when the version is retained.
   *
   * @return SWAPPED, IGNORED (already served) or REJECTED (not retained; the pin is remembered)
   */
  public synchronized Outcome pin(long version) {
    ModelKeys.checkVersion(version);
    pinned = version;
    ServedModel target = retained.get(version);
    if (target == null) {
      reject(version, RejectReason.PIN_TO_MISSING_VERSION,
          "pinned version " + version + " is not retained (retained: " + retained.keySet()
              + "); serving " + describe(current.get()) + " until it arrives");
      return Outcome.REJECTED;
    }
    if (current.get() == target) {
      return Outcome.IGNORED;
    }
    swapTo(target);
    return Outcome.SWAPPED;
  }

  /** Removes the pin and serves the newest retained version again. */
  public synchronized Outcome unpin() {
    pinned = -1;
    if (retained.isEmpty()) {
      return Outcome.IGNORED;
    }
    ServedModel newest = retained.lastEntry().getValue();
    Outcome o = current.get() == newest ? Outcome.IGNORED : Outcome.SWAPPED;
    if (o == Outcome.SWAPPED) {
      swapTo(newest);
    }
    evict();
    return o;
  }

  /** The pinned version, or -1. */
  public synchronized long pinnedVersion() {
    return pinned;
  }

  /** Versions held decoded, ascending. */
  public synchronized List<Long> retainedVersions() {
    return new ArrayList<>(retained.keySet());
  }

  /** Number of swaps so far. */
  public long swapCount() {
    return swaps.get();
  }

  /** Number of rejections for {@code reason} so far. */
  public long rejectCount(RejectReason reason) {
    return rejects.get(reason).get();
  }

  /** Rejections so far per reason (every reason present). */
  public Map<RejectReason, Long> rejectCounts() {
    Map<RejectReason, Long> m = new EnumMap<>(RejectReason.class);
    rejects.forEach((r, c) -> m.put(r, c.get()));
    return m;
  }

  /** Heap bytes held by the retained models. */
  public synchronized long ramBytesUsed() {
    long b = 0;
    for (ServedModel m : retained.values()) {
      b += m.ramBytesUsed();
    }
    return b;
  }

  /** Makes {@code spec} the expected one if none is, and saves the served model (never fatal). */
  private void saveCheckpoint(ModelManifest manifest, ByteBuffer bytes, ModelSpec spec) {
    boolean first = expected == null;
    if (first) {
      expected = spec;
    }
    if (checkpoint == null) {
      return;
    }
    try {
      if (first) {
        checkpoint.saveExpectedSpec(spec);
      }
      checkpoint.save(manifest, bytes);
    } catch (RuntimeException e) {
      LOG.warn("model {} v{}: checkpoint not saved ({}); a restart replays the models topic instead",
          name, manifest.getVersion(), e.toString());
    }
  }

  private void swapTo(ServedModel next) {
    ServedModel previous = current.getAndSet(next);
    swaps.incrementAndGet();
    LOG.info("model {} now serving v{} (was {})", name, next.version(), describe(previous));
    for (RegistryListener l : listeners) {
      try {
        l.onSwap(previous, next);
      } catch (RuntimeException e) {
        LOG.warn("registry listener {} failed on swap of model {}", l, name, e);
      }
    }
  }

  private void reject(long version, RejectReason reason, String message) {
    rejects.get(reason).incrementAndGet();
    LOG.warn("model {} v{} rejected ({}): {}; still serving {}", name, version, reason, message,
        describe(current.get()));
    for (RegistryListener l : listeners) {
      try {
        l.onReject(name, version, reason, message);
      } catch (RuntimeException e) {
        LOG.warn("registry listener {} failed on reject of model {}", l, name, e);
      }
    }
  }

  /** Keeps the newest {@code retainedVersions}, the served one and the pinned one. */
  private void evict() {
    ServedModel served = current.get();
    List<Long> newest = new ArrayList<>(retained.descendingKeySet());
    for (int i = retainedVersions; i < newest.size(); i++) {
      long v = newest.get(i);
      if (v != pinned && (served == null || v != served.version())) {
        retained.remove(v);
      }
    }
  }

  private static String describe(ServedModel m) {
    return m == null ? "nothing" : "v" + m.version();
  }
}
