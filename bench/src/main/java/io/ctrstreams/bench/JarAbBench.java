package io.ctrstreams.bench;

import com.sun.management.ThreadMXBean;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Locale;

/**
 * Before/after of two builds <b>interleaved in one JVM</b>: each benchmarks jar in its own class
 * loader (so each has its own scorer and kernel classes and C2 code), per configuration both warmed
 * up, then rounds alternating A, B / B, A; thread CPU time, median per side. On a shared machine the
 * load moves between separate runs by more than a change is worth; here both sides see the same
 * load. The allocation column includes this harness's reflective call (16 bytes per request). A
 * side is a jar or a class path (entries separated by the platform's path separator).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -Xmx3g -cp bench/target/benchmarks.jar
 * io.ctrstreams.bench.JarAbBench BEFORE.jar,AFTER.jar DNN:lowrank:256,DCNV2:lowrank:16 [roundMs rounds
 * warmupMs]} (configurations arch:variant:batch as in {@link ScorerBenchmark}).
 */
public final class JarAbBench {
  private JarAbBench() {}

  /** Prints, per configuration, each jar's median ns per candidate and its ratio to the first jar. */
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: JarAbBench A.jar,B.jar[,...] arch:variant:batch[,...] [roundMs rounds warmupMs]");
      System.exit(2);
    }
    String[] jars = args[0].split(",");
    String[] configs = args[1].split(",");
    long roundMs = args.length > 2 ? Long.parseLong(args[2]) : 400;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
    long warmupMs = args.length > 4 ? Long.parseLong(args[4]) : 2000;
    System.out.print(run(jars, configs, roundMs, rounds, warmupMs));
  }

  /** Runs the configurations on each side and returns the report (one line per configuration). */
  static String run(String[] jars, String[] configs, long roundMs, int rounds, long warmupMs) throws Exception {
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    ClassLoader[] loaders = new ClassLoader[jars.length];
    for (int i = 0; i < jars.length; i++) {
      String[] entries = jars[i].split(File.pathSeparator);
      URL[] urls = new URL[entries.length];
      for (int e = 0; e < entries.length; e++) {
        File f = new File(entries[e]);
        if (!f.exists()) {
          throw new IllegalArgumentException("no such jar or directory: " + entries[e]);
        }
        urls[e] = f.toURI().toURL();
      }
      loaders[i] = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
    }
    StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "%d rounds of %d ms per side after %d ms"
        + " warm-up, alternating; thread CPU time; ns per candidate (bytes allocated per candidate)%n", rounds, roundMs,
        warmupMs));
    for (String config : configs) {
      String[] p = config.split(":");
      if (p.length != 3) {
        throw new IllegalArgumentException("configuration must be arch:variant:batch, found '" + config + "'");
      }
      int batch = Integer.parseInt(p[2]);
      Object[] bench = new Object[jars.length];
      Method[] score = new Method[jars.length];
      for (int i = 0; i < jars.length; i++) {
        Class<?> c = Class.forName(ScorerBenchmark.class.getName(), true, loaders[i]);
        Object b = c.getConstructor().newInstance();
        c.getField("arch").set(b, p[0]);
        c.getField("variant").set(b, p[1]);
        c.getField("batch").setInt(b, batch);
        c.getField("scorer").set(b, "optimized");
        c.getMethod("setup").invoke(b);
        bench[i] = b;
        score[i] = c.getMethod("scoreOnce");
      }
      for (int i = 0; i < jars.length; i++) {
        long end = System.nanoTime() + warmupMs * 1_000_000;
        while (System.nanoTime() < end) {
          score[i].invoke(bench[i]);
        }
      }
      double[][] ns = new double[jars.length][rounds];
      long[] alloc = new long[jars.length];
      long[] candidates = new long[jars.length];
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < jars.length; k++) {
          int i = r % 2 == 0 ? k : jars.length - 1 - k;
          long n = 0;
          long a0 = mx.getThreadAllocatedBytes(tid);
          long c0 = mx.getCurrentThreadCpuTime();
          long end = System.nanoTime() + roundMs * 1_000_000;
          while (System.nanoTime() < end) {
            score[i].invoke(bench[i]);
            n++;
          }
          ns[i][r] = (mx.getCurrentThreadCpuTime() - c0) / (double) (n * batch);
          alloc[i] += mx.getThreadAllocatedBytes(tid) - a0;
          candidates[i] += n * batch;
        }
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-20s", config));
      double first = 0;
      for (int i = 0; i < jars.length; i++) {
        double[] s = ns[i].clone();
        Arrays.sort(s);
        double median = s[rounds / 2];
        if (i == 0) {
          first = median;
        }
        line.append(String.format(Locale.ROOT, " %9.0f (%5.1f B)", median, alloc[i] / (double) candidates[i]));
        if (i > 0) {
          line.append(String.format(Locale.ROOT, " %s/%s %.3f", (char) ('A' + i), 'A', median / first));
        }
      }
      report.append(line).append(System.lineSeparator());
    }
    return report.toString();
  }
}
