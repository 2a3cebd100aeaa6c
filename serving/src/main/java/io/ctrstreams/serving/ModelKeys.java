package io.ctrstreams.serving;

import java.util.regex.Pattern;

/**
 * The key scheme of the compacted models topic (UTF-8 strings).
 *
 * <ul>
 *   <li>{@code <model>/<version>/<index>}: a chunk ({@code ModelChunk});
 *   <li>{@code <model>/<version>/manifest}: the manifest of one version ({@code ModelManifest}),
 *       kept while the version is retained so that a replay of the compacted topic can rebuild
 *       the previous (pinnable) version too;
 *   <li>{@code <model>/manifest}: the latest manifest, written last;
 *   <li>{@code <model>/pin}: the pinned version ({@code ModelPin}); a tombstone un-pins.
 * </ul>
 *
 * Model names are 1-200 characters of {@code [A-Za-z0-9._-]} so that keys parse unambiguously.
 */
public final class ModelKeys {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  /** Suffix of manifest keys. */
  public static final String MANIFEST = "manifest";
  /** Suffix of pin keys. */
  public static final String PIN = "pin";

  private ModelKeys() {}

  /** Throws when {@code model} is not a valid model name; returns it otherwise. */
  public static String checkModelName(String model) {
    if (model == null || !NAME.matcher(model).matches()) {
      throw new ServingException(
          "model name must match [A-Za-z0-9._-]{1,200}, found '" + model + "'");
    }
    return model;
  }

  /** Throws when {@code version} is negative; returns it otherwise. */
  public static long checkVersion(long version) {
    if (version < 0) {
      throw new ServingException("model version must be >= 0, found " + version);
    }
    return version;
  }

  /** {@code <model>/<version>/<index>}. */
  public static String chunk(String model, long version, int index) {
    return model + "/" + version + "/" + index;
  }

  /** {@code <model>/<version>/manifest}. */
  public static String versionManifest(String model, long version) {
    return model + "/" + version + "/" + MANIFEST;
  }

  /** {@code <model>/manifest}. */
  public static String latestManifest(String model) {
    return model + "/" + MANIFEST;
  }

  /** {@code <model>/pin}. */
  public static String pin(String model) {
    return model + "/" + PIN;
  }

  /** What a key addresses. */
  public enum Kind {
    /** A chunk key. */
    CHUNK,
    /** A per-version or latest manifest key. */
    MANIFEST,
    /** A pin key. */
    PIN
  }

  /**
   * A parsed key.
   *
   * @param model model name
   * @param kind what the key addresses
   * @param version the version in the key, or -1 for {@code <model>/manifest} and pins
   * @param index the chunk index, or -1 when not a chunk
   */
  public record Parsed(String model, Kind kind, long version, int index) {}

  /**
   * Parses a key of this scheme.
   *
   * @throws ServingException naming the key when it does not follow the scheme
   */
  public static Parsed parse(String key) {
    if (key == null) {
      throw new ServingException("model topic key must not be null");
    }
    String[] parts = key.split("/", -1);
    try {
      if (parts.length == 2 && NAME.matcher(parts[0]).matches()) {
        if (MANIFEST.equals(parts[1])) {
          return new Parsed(parts[0], Kind.MANIFEST, -1, -1);
        }
        if (PIN.equals(parts[1])) {
          return new Parsed(parts[0], Kind.PIN, -1, -1);
        }
      } else if (parts.length == 3 && NAME.matcher(parts[0]).matches()) {
        long version = Long.parseLong(parts[1]);
        if (version < 0) {
          throw new NumberFormatException("negative version");
        }
        if (MANIFEST.equals(parts[2])) {
          return new Parsed(parts[0], Kind.MANIFEST, version, -1);
        }
        return new Parsed(parts[0], Kind.CHUNK, version, Integer.parseInt(parts[2]));
      }
    } catch (NumberFormatException e) {
      // fall through to the common error naming the key
    }
    throw new ServingException(
        "model topic key must be <model>/<version>/<index>, <model>/<version>/manifest,"
            + " <model>/manifest or <model>/pin, found '" + key + "'");
  }
}
