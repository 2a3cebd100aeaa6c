package io.ctrstreams.topology;

import io.ctrstreams.CtrException;

/** Root exception of the topology module; messages name the offending value. */
public class TopologyException extends CtrException {

  /** A failure with a message naming the offending value. */
  public TopologyException(String message) {
    super(message);
  }

  /** A failure with a cause. */
  public TopologyException(String message, Throwable cause) {
    super(message, cause);
  }
}
