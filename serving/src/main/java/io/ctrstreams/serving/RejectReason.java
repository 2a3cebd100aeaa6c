package io.ctrstreams.serving;

/** Why a published model version (or a record of it) was not served. */
public enum RejectReason {
  /** A record's key or value could not be parsed, or key and value disagree. */
  MALFORMED_RECORD,
  /** A manifest arrived while some of its chunks were absent. */
  MISSING_CHUNKS,
  /** A chunk index is negative or not below the chunk count. */
  CHUNK_INDEX_OUT_OF_RANGE,
  /** The assembled bytes' length or SHA-256 differ from the manifest. */
  CHECKSUM_MISMATCH,
  /** Buffering the version would exceed the assembler's memory cap. */
  BUFFER_OVERFLOW,
  /** The manifest's version is below the newest version already assembled or served. */
  OLDER_THAN_CURRENT,
  /** The assembled bytes are not a loadable .ctrm model. */
  DECODE_FAILED,
  /** The model loads but its input spec does not match the served model's. */
  SPEC_INCOMPATIBLE,
  /** A pin names a version the registry does not hold. */
  PIN_TO_MISSING_VERSION
}
