package io.ctrstreams.model.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Kernel selection in ctr-model alone (no ctr-simd on the class path): auto falls back to the Java
 * kernels, an explicit "vector" fails with a message saying what is missing, a bad value is named.
 * ctr-simd's tests cover the selection of the Vector API kernels.
 */
class MatMulsTest {
  @Test
  void autoShouldFallBackToJavaKernelsWithoutAnImplementation() {
    assertThat(MatMuls.select("auto")).isSameAs(MatMuls.java());
    assertThat(MatMuls.select(" Java ")).isSameAs(MatMuls.java());
    assertThat(MatMuls.get()).isSameAs(MatMuls.java());
    assertThat(MatMuls.describe()).startsWith("java (C2 auto-vectorized loops)");
  }

  @Test
  void vectorShouldFailWhenNoVectorKernelsAreAvailable() {
    assertThatThrownBy(() -> MatMuls.select("vector"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ctr.kernels=vector")
        .hasMessageContaining("--add-modules jdk.incubator.vector");
  }

  @Test
  void unknownModeShouldNameTheValue() {
    assertThatThrownBy(() -> MatMuls.select("avx"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ctr.kernels must be one of auto, java, vector; found 'avx'");
  }
}
