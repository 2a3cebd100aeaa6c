package io.ctrstreams.recompressor.search;

import io.ctrstreams.recompressor.RecompressorException;

/**
 * Settings of the genetic rank search.
 *
 * @param population genomes per generation
 * @param generations number of generations
 * @param tournament tournament size for parent selection
 * @param crossover probability that two parents are crossed (single point) rather than copied
 * @param mutation per-gene probability of a +-1 rung step
 * @param seed RNG seed; the search is deterministic given the seed and the fitness
 * @param objective what to optimize
 * @param seedWithBaselines whether the uniform and DP genomes join the first generation (then the
 *     GA can only match or beat them on the search loss)
 */
public record GaConfig(
    int population, int generations, int tournament, double crossover, double mutation, long seed,
    Objective objective, boolean seedWithBaselines) {

  /** The fitness the GA optimizes. */
  public enum Objective {
    /** Minimize the fitness loss (fidelity to the teacher); ties broken by fewer FLOPs. */
    FIDELITY,
    /** The Compressor paper's: maximize FLOPs under the size limit (fills the budget). */
    MAX_FLOPS
  }

  /** Validates. */
  public GaConfig {
    if (population < 2 || generations < 0 || tournament < 1 || tournament > population) {
      throw new RecompressorException("GA needs population >= 2, generations >= 0 and tournament in [1, population], found "
          + population + ", " + generations + ", " + tournament);
    }
    if (!(crossover >= 0 && crossover <= 1) || !(mutation >= 0 && mutation <= 1)) {
      throw new RecompressorException("GA crossover and mutation rates must be in [0, 1], found " + crossover + " and " + mutation);
    }
  }

  /** Defaults: population 24, 30 generations, tournament 3, crossover 0.7, mutation 0.2, seeded baselines. */
  public static GaConfig defaults(long seed) {
    return new GaConfig(24, 30, 3, 0.7, 0.2, seed, Objective.FIDELITY, true);
  }
}
