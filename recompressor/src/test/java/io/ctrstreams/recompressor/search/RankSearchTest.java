package io.ctrstreams.recompressor.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.recompressor.RecompressorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class RankSearchTest {

  /** A random instance: layers with growing bytes/flops and falling (convex-ish) sensitivity. */
  static List<LayerChoice> instance(long seed, int layers, int options) {
    Random rnd = new Random(seed);
    List<LayerChoice> out = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      int width = 20 + rnd.nextInt(200);
      List<RankOption> opts = new ArrayList<>();
      long bytes = 0;
      double sens = 1 + rnd.nextDouble() * 3;
      for (int o = 0; o < options; o++) {
        bytes += 100 + rnd.nextInt(2000);
        sens *= 0.3 + 0.5 * rnd.nextDouble();
        boolean dense = o == options - 1;
        opts.add(new RankOption(dense ? RankOption.DENSE : (o + 1) * Math.max(1, width / options / 2),
            bytes, bytes / 2 + rnd.nextInt(50), dense ? 0 : sens));
      }
      out.add(new LayerChoice("layer" + l, width, opts));
    }
    return out;
  }

  static double bruteForceMin(RankSearch s, Fitness f) {
    List<LayerChoice> layers = s.layers();
    int[] g = new int[layers.size()];
    double best = Double.POSITIVE_INFINITY;
    while (true) {
      if (s.bytes(g) <= s.budgetBytes()) {
        best = Math.min(best, f.loss(g));
      }
      int i = 0;
      while (i < g.length && ++g[i] == layers.get(i).size()) {
        g[i++] = 0;
      }
      if (i == g.length) {
        return best;
      }
    }
  }

  static long minBytes(List<LayerChoice> layers) {
    long b = 0;
    for (LayerChoice l : layers) {
      b += l.option(0).bytes();
    }
    return b;
  }

  static long maxBytes(List<LayerChoice> layers) {
    long b = 0;
    for (LayerChoice l : layers) {
      b += l.option(l.size() - 1).bytes();
    }
    return b;
  }

  @Property(tries = 60)
  void shouldFindTheOptimumWithKnapsackOnAdditiveFitness(
      @ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 1, max = 5) int layers,
      @ForAll @IntRange(min = 1, max = 6) int options,
      @ForAll @IntRange(min = 0, max = 100) int budgetPercent) {
    List<LayerChoice> inst = instance(seed, layers, options);
    long budget = minBytes(inst) + (maxBytes(inst) - minBytes(inst)) * budgetPercent / 100;
    RankSearch s = new RankSearch(inst, budget, 0);
    int[] dp = s.knapsackGenome();
    assertThat(s.bytes(dp)).isLessThanOrEqualTo(budget);
    assertThat(s.additiveLoss(dp)).as("seed %d", seed).isCloseTo(bruteForceMin(s, s::additiveLoss),
        org.assertj.core.api.Assertions.within(1e-12));
  }

  @Property(tries = 25)
  void shouldNeverExceedTheBudgetNorScoreInfeasibleGenomes(
      @ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 1, max = 7) int layers,
      @ForAll @IntRange(min = 1, max = 8) int options,
      @ForAll @IntRange(min = 0, max = 100) int budgetPercent) {
    List<LayerChoice> inst = instance(seed, layers, options);
    long fixed = 1000;
    long budget = fixed + minBytes(inst) + (maxBytes(inst) - minBytes(inst)) * budgetPercent / 100;
    RankSearch s = new RankSearch(inst, budget, fixed);
    Fitness guarded = g -> {
      assertThat(s.bytes(g)).as("scored genome must fit, seed %d", seed).isLessThanOrEqualTo(budget);
      return s.additiveLoss(g) + 1e-3 * Math.sin(g.length + g[0]); // mildly non-additive
    };
    for (GaConfig.Objective obj : GaConfig.Objective.values()) {
      GaConfig cfg = new GaConfig(10, 8, 3, 0.7, 0.3, seed, obj, false);
      RankSearch.SearchReport r = s.run(guarded, guarded, cfg);
      for (Candidate c : r.candidates()) {
        assertThat(c.bytes()).as("%s seed %d", c, seed).isLessThanOrEqualTo(budget);
      }
    }
  }

  @Test
  void shouldFindTheOptimumWithGeneticSearchOnSmallAdditiveInstances() {
    for (long seed = 1; seed <= 8; seed++) {
      List<LayerChoice> inst = instance(seed, 4, 5);
      long budget = minBytes(inst) + (maxBytes(inst) - minBytes(inst)) / 2;
      RankSearch s = new RankSearch(inst, budget, 0);
      GaConfig cfg = new GaConfig(24, 30, 3, 0.7, 0.25, seed, GaConfig.Objective.FIDELITY, false);
      RankSearch.GaResult ga = s.genetic(s::additiveLoss, cfg);
      assertThat(s.additiveLoss(ga.genome())).as("GA seed %d", seed)
          .isCloseTo(bruteForceMin(s, s::additiveLoss), org.assertj.core.api.Assertions.within(1e-12));
      // Less than the 625-genome space: the GA searched, it did not enumerate.
      assertThat(ga.evaluations()).isLessThan(625);
    }
  }

  @Test
  void shouldMaximiseFlopsUnderTheLimitWithThePapersObjective() {
    List<LayerChoice> inst = instance(99, 4, 5);
    long budget = minBytes(inst) + (maxBytes(inst) - minBytes(inst)) * 2 / 3;
    RankSearch s = new RankSearch(inst, budget, 0);
    GaConfig cfg = new GaConfig(24, 30, 3, 0.7, 0.25, 5, GaConfig.Objective.MAX_FLOPS, false);
    RankSearch.GaResult ga = s.genetic(g -> {
      throw new AssertionError("the FLOPs objective needs no fitness evaluations");
    }, cfg);
    double maxFlops = -bruteForceMin(s, g -> -(double) s.flops(g));
    assertThat((double) s.flops(ga.genome())).isEqualTo(maxFlops);
  }

  @Test
  void shouldBeDeterministicForASeed() {
    List<LayerChoice> inst = instance(7, 6, 7);
    long budget = minBytes(inst) + (maxBytes(inst) - minBytes(inst)) / 3;
    RankSearch s = new RankSearch(inst, budget, 0);
    Fitness f = g -> s.additiveLoss(g) + 0.01 * Math.cos(3 * g[1] + g[2]);
    RankSearch.GaResult a = s.genetic(f, GaConfig.defaults(11));
    RankSearch.GaResult b = s.genetic(f, GaConfig.defaults(11));
    assertThat(a.genome()).isEqualTo(b.genome());
    assertThat(a.bestPerGeneration()).isEqualTo(b.bestPerGeneration());
    assertThat(a.evaluations()).isEqualTo(b.evaluations());
  }

  @Test
  void shouldBeAtLeastAsGoodAsBaselinesWhenSeededWithThem() {
    for (long seed = 20; seed < 26; seed++) {
      List<LayerChoice> inst = instance(seed, 6, 6);
      long budget = minBytes(inst) + (maxBytes(inst) - minBytes(inst)) / 4;
      RankSearch s = new RankSearch(inst, budget, 0);
      // Interacting layers: the loss of layer pairs is not additive.
      Fitness f = g -> s.additiveLoss(g) * (1 + 0.5 * (g[0] == g[1] ? 0 : 1));
      RankSearch.SearchReport r = s.run(f, f, GaConfig.defaults(seed));
      Candidate ga = r.candidates().stream().filter(c -> c.strategy().equals("ga")).findFirst().orElseThrow();
      for (Candidate c : r.candidates()) {
        assertThat(ga.loss()).as("ga vs %s, seed %d", c.strategy(), seed).isLessThanOrEqualTo(c.loss());
      }
      assertThat(r.chosen().heldOutLoss()).isEqualTo(
          r.candidates().stream().mapToDouble(Candidate::heldOutLoss).min().orElseThrow());
    }
  }

  @Test
  void shouldRejectBudgetBelowTheSmallestModel() {
    List<LayerChoice> inst = instance(3, 3, 3);
    assertThatThrownBy(() -> new RankSearch(inst, minBytes(inst) - 1, 0))
        .isInstanceOf(RecompressorException.class)
        .hasMessageContaining("byte budget " + (minBytes(inst) - 1));
  }

  @Test
  void shouldPickUniformFractionThatFits() {
    List<LayerChoice> inst = instance(5, 3, 4);
    RankSearch roomy = new RankSearch(inst, maxBytes(inst), 0);
    assertThat(roomy.uniformGenome()).isEqualTo(roomy.top());
    RankSearch tight = new RankSearch(inst, minBytes(inst), 0);
    assertThat(tight.uniformGenome()).containsOnly(0);
  }
}
