package io.ctrstreams.model.internal;

import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Chooses the {@link MatMul} of this JVM once, at class initialization.
 *
 * <p>System property {@value #PROPERTY}: {@code auto} (default) uses the Vector API kernels
 * when the {@code jdk.incubator.vector} module is in the boot layer ({@code --add-modules
 * jdk.incubator.vector}, which the {@code ctr} launcher passes) and an implementation is on the
 * class path, else the plain Java kernels; {@code java} forces the Java kernels; {@code vector}
 * requires the Vector API kernels and fails the first scorer creation when they are missing.
 * Measured on the benchmark machine (BENCHMARKS.md section 1): the Vector API kernels run the
 * scorer's block products 2-3x faster than the auto-vectorized Java loops.
 */
public final class MatMuls {
  /** The system property selecting the kernels: {@code auto}, {@code java} or {@code vector}. */
  public static final String PROPERTY = "ctr.kernels";

  private static final String VECTOR_MODULE = "jdk.incubator.vector";
  private static final MatMul JAVA = new JavaMatMul();
  /**
   * Why the Vector API kernels failed to load although the module is present (set while {@link
   * #SELECTED} initializes, hence declared before it and without an initializer), or null.
   */
  private static Throwable vectorFailure;
  private static final MatMul SELECTED = select(System.getProperty(PROPERTY, "auto"));

  private MatMuls() {}

  /** The kernels this JVM uses. */
  public static MatMul get() {
    return SELECTED;
  }

  /** The plain Java kernels (always available). */
  public static MatMul java() {
    return JAVA;
  }

  /** What {@link #get()} runs, with a hint when the Vector API kernels could run but do not. */
  public static String describe() {
    if (SELECTED == JAVA && ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      return JAVA.describe() + " (run the JVM with --add-modules " + VECTOR_MODULE + " for the Vector API kernels)";
    }
    if (SELECTED == JAVA && vectorFailure != null) {
      return JAVA.describe() + " (Vector API kernels unavailable: " + vectorFailure.getMessage() + ")";
    }
    return SELECTED.describe();
  }

  static MatMul select(String mode) {
    String m = mode.trim().toLowerCase(Locale.ROOT);
    switch (m) {
      case "java":
        return JAVA;
      case "auto":
      case "vector":
        MatMul v = loadVector();
        if (v != null) {
          return v;
        }
        if (m.equals("vector")) {
          throw new IllegalStateException(PROPERTY + "=vector but no Vector API kernels are available: the JVM needs "
              + "--add-modules " + VECTOR_MODULE + " and the ctr-simd module on the class path", vectorFailure);
        }
        return JAVA;
      default:
        throw new IllegalArgumentException(PROPERTY + " must be one of auto, java, vector; found '" + mode + "'");
    }
  }

  private static MatMul loadVector() {
    if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      return null;
    }
    try {
      for (MatMul m : ServiceLoader.load(MatMul.class, MatMuls.class.getClassLoader())) {
        return m;
      }
    } catch (ServiceConfigurationError | LinkageError e) {
      // ServiceLoader wraps what the provider's constructor throws (VectorMatMul refuses a CPU
      // whose preferred vector is too narrow): the Java kernels serve instead, describe() says why
      vectorFailure = e;
      return null;
    }
    return null;
  }

  /** {@link Kernels}, the auto-vectorized Java loops. */
  private static final class JavaMatMul implements MatMul {
    @Override
    public void gemm(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
      Kernels.gemm(x, xCol, n, in, wt, wRow, out, y);
    }

    @Override
    public void gemmNarrow(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
      Kernels.gemmNarrow(x, xCol, n, in, wt, wRow, out, y);
    }

    @Override
    public String describe() {
      return "java (C2 auto-vectorized loops)";
    }
  }
}
