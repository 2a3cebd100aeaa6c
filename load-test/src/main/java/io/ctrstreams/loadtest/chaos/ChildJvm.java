package io.ctrstreams.loadtest.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A service in its own JVM ({@code java -cp <this JVM's class path> <main> <args>}), so a fault
 * can be a real {@code kill -9}. Output goes to a log file. Every child ever started is
 * registered with one shutdown hook that kills what is still alive, so neither a failing suite
 * nor a test that times out leaves a broker or a topology behind.
 */
public final class ChildJvm implements AutoCloseable {
  private static final Set<ChildJvm> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ChildJvm::killAll, "ctr-chaos-kill-children"));
  }

  private final String name;
  private final Path log;
  private final Process process;
  private volatile boolean killedByUs;

  private ChildJvm(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts {@code mainClass args} in a new JVM with the current class path and the scorer's
   * incubator module.
   *
   * @param name what the suite calls it ("broker", "topology-a")
   * @param heap the child's -Xmx, e.g. "768m"
   * @param log file that receives stdout and stderr (appended: a restart continues the log)
   */
  public static ChildJvm start(String name, String heap, Path log, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseSerialGC"); // 2 cores shared by everything: no parallel GC threads per child
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true"); // the logs are read against the fault times
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      ChildJvm c = new ChildJvm(name, log, pb.start());
      LIVE.add(c);
      return c;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " (" + String.join(" ", cmd) + ")", e);
    }
  }

  /** The suite's name of this child. */
  public String name() {
    return name;
  }

  /** The child's log file. */
  public Path log() {
    return log;
  }

  /** The OS process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether the process still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Whether the process exited although the suite never killed it (a crash). */
  public boolean diedByItself() {
    return !process.isAlive() && !killedByUs;
  }

  /** SIGKILL ({@code kill -9}: no shutdown hook, no flush, no leave-group) and waits for the exit. */
  public void kill9() throws InterruptedException {
    killedByUs = true;
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    LIVE.remove(this);
  }

  /** SIGTERM (the service's orderly shutdown), SIGKILL after 20 s. */
  @Override
  public void close() {
    killedByUs = true;
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    LIVE.remove(this);
  }

  /** Kills every child still alive (the shutdown hook; also the suite's last finally). */
  public static void killAll() {
    for (ChildJvm c : LIVE) {
      c.killedByUs = true;
      c.process.destroyForcibly();
    }
    LIVE.clear();
  }
}
