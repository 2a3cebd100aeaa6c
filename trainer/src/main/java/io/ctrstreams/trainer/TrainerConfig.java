package io.ctrstreams.trainer;

/**
 * Hyper-parameters of {@link Trainer}.
 *
 * @param batchSize examples per step (the CTR standard 512 by default)
 * @param learningRate Adam step size for dense parameters
 * @param embeddingLearningRate Adagrad step size for lookup tables
 * @param l2 L2 coefficient on dense weight matrices (not biases)
 * @param embeddingL2 L2 coefficient on the touched rows of lookup tables
 * @param labelWeight alpha of the loss mix {@code alpha * BCE(label) + (1 - alpha) * T^2 *
 *     BCE(soft teacher target at temperature T)}; 1 = labels only, 0 = pure distillation. Examples
 *     without a teacher probability use the label loss alone.
 * @param temperature distillation temperature T (Hinton et al. 2015): teacher and student logits
 *     are divided by T, the soft term is scaled by T^2 so its gradient keeps its size
 * @param threads data-parallel worker threads (each owns a replica; the batch is split evenly)
 * @param seed initialization and shuffling seed
 * @param gemm the {@link io.ctrstreams.model.internal.MatMul} provider: "nd4j" ({@link Nd4jMatMul},
 *     default: measured faster) or "java" (the JVM kernels of {@code MatMuls.get()})
 * @param warmupSteps learning-rate warm-up: both learning rates scale linearly from {@code
 *     1/warmupSteps} to 1 over the first {@code warmupSteps} steps (0 = none)
 * @param decaySteps after warm-up, both learning rates scale by {@code 1/sqrt(1 + t/decaySteps)}
 *     with t the steps since warm-up (0 = constant)
 * @param dropout inverted dropout on the outputs of the MLP's hidden layers while training
 *     (Srivastava et al. 2014): each unit is zeroed with probability {@code dropout} and the kept
 *     ones are scaled by {@code 1/(1 - dropout)}, so evaluation and serving use the weights as
 *     they are; in [0, 1), 0 = off. Masks are a pure function of (seed, step, example of the
 *     batch, layer, unit), so seeded runs are reproducible and independent of the thread count.
 */
public record TrainerConfig(
    int batchSize,
    double learningRate,
    double embeddingLearningRate,
    double l2,
    double embeddingL2,
    double labelWeight,
    double temperature,
    int threads,
    long seed,
    String gemm,
    int warmupSteps,
    long decaySteps,
    double dropout) {

  /** No learning-rate schedule. */
  public TrainerConfig(int batchSize, double learningRate, double embeddingLearningRate, double l2,
      double embeddingL2, double labelWeight, double temperature, int threads, long seed, String gemm) {
    this(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed,
        gemm, 0, 0, 0);
  }

  /** No dropout. */
  public TrainerConfig(int batchSize, double learningRate, double embeddingLearningRate, double l2,
      double embeddingL2, double labelWeight, double temperature, int threads, long seed, String gemm,
      int warmupSteps, long decaySteps) {
    this(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed,
        gemm, warmupSteps, decaySteps, 0);
  }

  /** Validates every value, naming the offending one. */
  public TrainerConfig {
    if (batchSize < 1 || batchSize > 1 << 20) {
      throw new TrainerException("batch size must be in [1, 1048576], found " + batchSize);
    }
    if (!(learningRate > 0) || !(embeddingLearningRate > 0)) {
      throw new TrainerException("learning rates must be > 0, found " + learningRate + " and " + embeddingLearningRate);
    }
    if (!(l2 >= 0) || !(embeddingL2 >= 0)) {
      throw new TrainerException("L2 coefficients must be >= 0, found " + l2 + " and " + embeddingL2);
    }
    if (!(labelWeight >= 0 && labelWeight <= 1)) {
      throw new TrainerException("label weight must be in [0, 1], found " + labelWeight);
    }
    if (!(temperature > 0)) {
      throw new TrainerException("distillation temperature must be > 0, found " + temperature);
    }
    if (threads < 1 || threads > 64) {
      throw new TrainerException("trainer threads must be in [1, 64], found " + threads);
    }
    if (warmupSteps < 0) {
      throw new TrainerException("warm-up steps must be >= 0, found " + warmupSteps);
    }
    if (decaySteps < 0) {
      throw new TrainerException("decay steps must be >= 0, found " + decaySteps);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new TrainerException("dropout must be in [0, 1), found " + dropout);
    }
    if (!"nd4j".equals(gemm) && !"java".equals(gemm)) {
      throw new TrainerException("gemm backend must be nd4j or java, found " + gemm);
    }
  }

  /** Defaults: batch 512, Adam 1e-3, Adagrad 0.05, L2 1e-6 / 1e-7, labels only, T = 1, 2 threads, nd4j. */
  public static TrainerConfig defaults() {
    return new TrainerConfig(512, 1e-3, 0.05, 1e-6, 1e-7, 1.0, 1.0, 2, 1L, "nd4j");
  }

  public TrainerConfig withBatchSize(int b) {
    return new TrainerConfig(b, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withLearningRates(double dense, double embedding) {
    return new TrainerConfig(batchSize, dense, embedding, l2, embeddingL2, labelWeight, temperature, threads, seed, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withL2(double dense, double embedding) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, dense, embedding, labelWeight, temperature, threads, seed, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withDistillation(double labelWeight, double temperature) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withThreads(int t) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, t, seed, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withSeed(long s) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, s, gemm, warmupSteps, decaySteps, dropout);
  }

  public TrainerConfig withSchedule(int warmup, long decay) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed, gemm, warmup, decay, dropout);
  }

  public TrainerConfig withDropout(double p) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed, gemm, warmupSteps, decaySteps, p);
  }

  /** The factor both learning rates are scaled by at 0-based step {@code step}. */
  public double learningRateFactor(long step) {
    double f = 1;
    if (warmupSteps > 0 && step < warmupSteps) {
      f = (step + 1) / (double) warmupSteps;
    }
    if (decaySteps > 0 && step >= warmupSteps) {
      f /= Math.sqrt(1 + (step - warmupSteps) / (double) decaySteps);
    }
    return f;
  }

  public TrainerConfig withGemm(String g) {
    return new TrainerConfig(batchSize, learningRate, embeddingLearningRate, l2, embeddingL2, labelWeight, temperature, threads, seed, g, warmupSteps, decaySteps, dropout);
  }
}
