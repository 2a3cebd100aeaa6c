package io.ctrstreams.model.format;

/**
 * The file declares a format version outside the range this reader supports (too new: written
 * by a later ctr-streams; too old: a version whose support was dropped). The message names the
 * found version and the supported range ({@link CtrmFormat#MIN_SUPPORTED_VERSION} to
 * {@link CtrmFormat#CURRENT_VERSION}).
 */
public class UnsupportedFormatVersionException extends ModelFormatException {

  private final int foundVersion;

  public UnsupportedFormatVersionException(int foundVersion, long offset) {
    super(
        "unsupported .ctrm format version " + foundVersion + " ("
            + (foundVersion > CtrmFormat.CURRENT_VERSION ? "too new" : "too old")
            + "), this reader supports versions " + CtrmFormat.MIN_SUPPORTED_VERSION + " to "
            + CtrmFormat.CURRENT_VERSION,
        offset);
    this.foundVersion = foundVersion;
  }

  public int foundVersion() {
    return foundVersion;
  }

  public int minSupported() {
    return CtrmFormat.MIN_SUPPORTED_VERSION;
  }

  public int maxSupported() {
    return CtrmFormat.CURRENT_VERSION;
  }
}
