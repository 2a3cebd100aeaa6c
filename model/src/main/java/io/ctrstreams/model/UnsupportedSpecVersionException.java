package io.ctrstreams.model;

/**
 * A model spec JSON declares a {@link ModelSpec#VERSION_PROPERTY} this code cannot read: written
 * by a later ctr-streams (upgrade the reader) or not a version that ever existed.
 */
public class UnsupportedSpecVersionException extends CtrModelException {
  private static final long serialVersionUID = 1L;

  private final int foundVersion;

  public UnsupportedSpecVersionException(int foundVersion) {
    super("unsupported model spec version " + foundVersion
        + (foundVersion > ModelSpec.CURRENT_VERSION ? " (too new)" : "")
        + ", this reader supports spec versions 1 to " + ModelSpec.CURRENT_VERSION);
    this.foundVersion = foundVersion;
  }

  /** The version the JSON declares. */
  public int foundVersion() {
    return foundVersion;
  }

  /** The newest version this reader supports ({@link ModelSpec#CURRENT_VERSION}). */
  public int maxSupported() {
    return ModelSpec.CURRENT_VERSION;
  }
}
