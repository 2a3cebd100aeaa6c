package io.ctrstreams.model.format;

/**
 * The file declares a format version outside the range this reader supports (too new: written
 * by a later ctr-streams; too old: a version whose support was dropped). The message names the
 * found version and the supported range.
 */
public class UnsupportedFormatVersionException extends ModelFormatException {

  private final int foundVersion;
  private final int minSupported;
  private final int maxSupported;

  public UnsupportedFormatVersionException(
      int foundVersion, int minSupported, int maxSupported, long offset) {
    super(
        "unsupported .ctrm format version " + foundVersion + " ("
            + (foundVersion > maxSupported ? "too new" : "too old")
            + "), this reader supports versions " + minSupported + " to " + maxSupported,
        offset);
    this.foundVersion = foundVersion;
    this.minSupported = minSupported;
    this.maxSupported = maxSupported;
  }

  public int foundVersion() {
    return foundVersion;
  }

  public int minSupported() {
    return minSupported;
  }

  public int maxSupported() {
    return maxSupported;
  }
}
