package io.ctrstreams.server.internal;

/**
 * Where served requests go after their response is written (the impression log the label join
 * reads). Called on the request's thread: an implementation copies what it needs and returns at
 * once, never blocking the response path.
 */
@FunctionalInterface
public interface ServedLog {
  /** Logs nothing. */
  ServedLog NONE = r -> {};

  /** One served request; {@code r} is reused by the calling thread after this returns. */
  void served(RequestScorer.Result r);
}
