package io.ctrstreams.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The worker thread of a service (the trainer, the demo traffic): started once, asked to stop,
 * joined with a bound; a {@link RuntimeException} or {@link Error} that ends its body early is
 * kept as {@link #failure()}.
 */
public final class ServiceThread {
  private final AtomicBoolean stop = new AtomicBoolean();
  private Thread thread;
  private volatile Throwable failure;

  /** Throws an {@link IllegalStateException} naming {@code what} once {@link #start} ran. */
  public synchronized void checkNotStarted(String what) {
    if (thread != null) {
      throw new IllegalStateException(what + " already started");
    }
  }

  /** Runs {@code body} on a new thread {@code name} (once); {@code onFailure} sees what ended it early. */
  public synchronized void start(String name, boolean daemon, Runnable body, Consumer<Throwable> onFailure) {
    checkNotStarted(name);
    thread = new Thread(() -> {
      try {
        body.run();
      } catch (RuntimeException | Error e) {
        failure = e;
        onFailure.accept(e);
      }
    }, name);
    thread.setDaemon(daemon);
    thread.start();
  }

  /** Whether the body should return: {@link #stop} was called. */
  public boolean stopping() {
    return stop.get();
  }

  /** What ended the body early, or null. */
  public Throwable failure() {
    return failure;
  }

  /**
   * Asks the body to return, wakes it if parked and waits up to {@code timeoutMs} for it;
   * returns whether the thread had been started.
   */
  public synchronized boolean stop(long timeoutMs) {
    stop.set(true);
    if (thread == null) {
      return false;
    }
    LockSupport.unpark(thread);
    try {
      thread.join(timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }
}
