package io.ctrstreams.recompressor.search;

import io.ctrstreams.recompressor.RecompressorException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Chooses one rank per layer under a hard byte budget: genetic search (tournament selection,
 * single-point crossover, +-1-rung mutation, (mu + lambda) survival, repair into the budget),
 * uniform ranks and an exact knapsack DP over the layers' sensitivity tables.
 *
 * <p>Total bytes of a genome are {@code fixedBytes} (everything not searched, e.g. biases or
 * layers kept dense) plus the bytes of each layer's option; a genome is feasible when that is at
 * most {@code budgetBytes}. Fitness values are cached per genome, so the evaluation count in the
 * report is the number of distinct genomes scored.
 */
public final class RankSearch {
  private final List<LayerChoice> layers;
  private final long budgetBytes;
  private final long fixedBytes;

  /** A search over {@code layers} with a hard budget. */
  public RankSearch(List<LayerChoice> layers, long budgetBytes, long fixedBytes) {
    if (layers.isEmpty()) {
      throw new RecompressorException("rank search needs at least one compressible layer");
    }
    this.layers = List.copyOf(layers);
    this.budgetBytes = budgetBytes;
    this.fixedBytes = fixedBytes;
    long min = fixedBytes;
    for (LayerChoice l : layers) {
      min += l.option(0).bytes();
    }
    if (min > budgetBytes) {
      throw new RecompressorException("byte budget " + budgetBytes + " is below the smallest model this ladder allows ("
          + min + " bytes with every layer at its lowest rank)");
    }
  }

  public List<LayerChoice> layers() {
    return layers;
  }

  public long budgetBytes() {
    return budgetBytes;
  }

  /** Total bytes of a genome including the fixed part. */
  public long bytes(int[] genome) {
    long b = fixedBytes;
    for (int i = 0; i < genome.length; i++) {
      b += layers.get(i).option(genome[i]).bytes();
    }
    return b;
  }

  /** Total FLOPs of the searched layers. */
  public long flops(int[] genome) {
    long f = 0;
    for (int i = 0; i < genome.length; i++) {
      f += layers.get(i).option(genome[i]).flops();
    }
    return f;
  }

  /** Sum of the layers' sensitivities: the additive model the DP optimizes. */
  public double additiveLoss(int[] genome) {
    double s = 0;
    for (int i = 0; i < genome.length; i++) {
      s += layers.get(i).option(genome[i]).sensitivity();
    }
    return s;
  }

  /** Every layer at its top option (usually dense). */
  public int[] top() {
    int[] g = new int[layers.size()];
    for (int i = 0; i < g.length; i++) {
      g[i] = layers.get(i).size() - 1;
    }
    return g;
  }

  /**
   * Measures each layer's sensitivity table: {@code f(only layer l at option o, others at top) -
   * f(all at top)}. Costs {@code sum(options)} fitness evaluations.
   */
  public static List<LayerChoice> measureSensitivities(List<LayerChoice> layers, Fitness f) {
    int[] top = new int[layers.size()];
    for (int i = 0; i < top.length; i++) {
      top[i] = layers.get(i).size() - 1;
    }
    double base = f.loss(top);
    List<LayerChoice> out = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      LayerChoice lc = layers.get(l);
      double[] s = new double[lc.size()];
      for (int o = 0; o < lc.size(); o++) {
        int[] g = top.clone();
        g[l] = o;
        s[o] = o == lc.size() - 1 ? 0 : f.loss(g) - base;
      }
      out.add(lc.withSensitivities(s));
    }
    return out;
  }

  /**
   * Lowers ranks until the genome fits: each step lowers by one rung the layer whose step costs the
   * least sensitivity per byte saved (the "least sensitive" layer).
   */
  public int[] repair(int[] genome) {
    int[] g = genome.clone();
    long bytes = bytes(g);
    while (bytes > budgetBytes) {
      int best = -1;
      double bestCost = Double.POSITIVE_INFINITY;
      for (int i = 0; i < g.length; i++) {
        if (g[i] == 0) {
          continue;
        }
        RankOption cur = layers.get(i).option(g[i]);
        RankOption down = layers.get(i).option(g[i] - 1);
        double cost = (down.sensitivity() - cur.sensitivity()) / (double) (cur.bytes() - down.bytes());
        if (cost < bestCost) {
          bestCost = cost;
          best = i;
        }
      }
      // Cannot happen: the constructor checked that the all-lowest genome fits.
      if (best < 0) {
        throw new IllegalStateException("repair found no layer to lower at " + bytes + " bytes");
      }
      bytes -= layers.get(best).option(g[best]).bytes() - layers.get(best).option(g[best] - 1).bytes();
      g[best]--;
    }
    return g;
  }

  /**
   * Uniform ranks: every layer at the same fraction of its full rank; the largest fraction (over
   * the fractions the ladders offer) whose genome fits the budget.
   */
  public int[] uniformGenome() {
    Set<Double> fr = new HashSet<>();
    for (LayerChoice l : layers) {
      for (int o = 0; o < l.size(); o++) {
        fr.add(l.fraction(o));
      }
    }
    List<Double> fractions = new ArrayList<>(fr);
    fractions.sort(Comparator.reverseOrder());
    for (double t : fractions) {
      int[] g = new int[layers.size()];
      for (int i = 0; i < g.length; i++) {
        LayerChoice l = layers.get(i);
        int pick = 0;
        for (int o = 0; o < l.size(); o++) {
          if (l.fraction(o) <= t + 1e-12) {
            pick = o;
          }
        }
        g[i] = pick;
      }
      if (bytes(g) <= budgetBytes) {
        return g;
      }
    }
    int[] lowest = new int[layers.size()];
    return lowest;
  }

  /**
   * Exact 0/1 multiple-choice knapsack: minimizes the summed sensitivities subject to the budget,
   * by merging per-layer Pareto fronts of (bytes, loss); exact because dominated partial
   * solutions can never be completed into a better whole. Ties prefer fewer bytes.
   */
  public int[] knapsackGenome() {
    long capacity = budgetBytes - fixedBytes;
    // Front entries: bytes ascending, loss strictly decreasing.
    List<State> front = List.of(new State(0, 0.0, new int[0]));
    for (LayerChoice l : layers) {
      List<State> next = new ArrayList<>();
      for (State s : front) {
        for (int o = 0; o < l.size(); o++) {
          long b = s.bytes + l.option(o).bytes();
          if (b <= capacity) {
            int[] g = Arrays.copyOf(s.genome, s.genome.length + 1);
            g[g.length - 1] = o;
            next.add(new State(b, s.loss + l.option(o).sensitivity(), g));
          }
        }
      }
      next.sort(Comparator.comparingLong((State s) -> s.bytes).thenComparingDouble(s -> s.loss));
      List<State> pruned = new ArrayList<>();
      double bestLoss = Double.POSITIVE_INFINITY;
      for (State s : next) {
        if (s.loss < bestLoss) {
          pruned.add(s);
          bestLoss = s.loss;
        }
      }
      front = pruned;
    }
    // The last front entry has the lowest loss.
    return front.get(front.size() - 1).genome;
  }

  private record State(long bytes, double loss, int[] genome) {}

  /** Runs the GA; the fitness is only called on feasible genomes. */
  public GaResult genetic(Fitness fitness, GaConfig cfg) {
    Scorer scorer = new Scorer(fitness, cfg.objective());
    Random rnd = new Random(cfg.seed());
    List<int[]> pop = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    if (cfg.seedWithBaselines()) {
      addUnique(pop, seen, uniformGenome());
      addUnique(pop, seen, knapsackGenome());
    }
    int attempts = 0;
    while (pop.size() < cfg.population() && attempts++ < cfg.population() * 20) {
      int[] g = new int[layers.size()];
      for (int i = 0; i < g.length; i++) {
        g[i] = rnd.nextInt(layers.get(i).size());
      }
      addUnique(pop, seen, repair(g));
    }
    List<Double> history = new ArrayList<>();
    for (int gen = 0; gen < cfg.generations(); gen++) {
      List<int[]> children = new ArrayList<>();
      Set<String> childKeys = new HashSet<>(seen);
      int tries = 0;
      while (children.size() < cfg.population() && tries++ < cfg.population() * 20) {
        int[] a = tournament(pop, scorer, cfg.tournament(), rnd);
        int[] b = tournament(pop, scorer, cfg.tournament(), rnd);
        int[] child = a.clone();
        if (rnd.nextDouble() < cfg.crossover() && child.length > 1) {
          int cut = 1 + rnd.nextInt(child.length - 1);
          System.arraycopy(b, cut, child, cut, child.length - cut);
        }
        mutate(child, cfg.mutation(), rnd);
        child = repair(child);
        // Duplicates are re-mutated a few times rather than scored again (the paper's rule).
        for (int k = 0; k < 5 && childKeys.contains(key(child)); k++) {
          mutate(child, Math.max(cfg.mutation(), 1.0 / child.length), rnd);
          child = repair(child);
        }
        if (childKeys.add(key(child))) {
          children.add(child);
        }
      }
      // (mu + lambda): parents and children compete; the best `population` survive.
      List<int[]> all = new ArrayList<>(pop);
      all.addAll(children);
      all.sort(scorer.order());
      pop = new ArrayList<>(all.subList(0, Math.min(cfg.population(), all.size())));
      seen = new HashSet<>();
      for (int[] g : pop) {
        seen.add(key(g));
      }
      history.add(scorer.score(pop.get(0))[0]);
    }
    pop.sort(scorer.order());
    int[] best = pop.get(0);
    return new GaResult(best, scorer.cache.size(), history);
  }

  /**
   * The GA's answer.
   *
   * @param genome best genome by the GA's objective
   * @param evaluations distinct genomes scored
   * @param bestPerGeneration best objective value after each generation
   */
  public record GaResult(int[] genome, int evaluations, List<Double> bestPerGeneration) {}

  private void mutate(int[] g, double rate, Random rnd) {
    for (int i = 0; i < g.length; i++) {
      if (rnd.nextDouble() < rate) {
        int step = rnd.nextBoolean() ? 1 : -1;
        int v = g[i] + step;
        if (v < 0 || v >= layers.get(i).size()) {
          v = g[i] - step;
        }
        g[i] = Math.max(0, Math.min(layers.get(i).size() - 1, v));
      }
    }
  }

  private static int[] tournament(List<int[]> pop, Scorer scorer, int size, Random rnd) {
    int[] best = null;
    for (int i = 0; i < size; i++) {
      int[] c = pop.get(rnd.nextInt(pop.size()));
      if (best == null || scorer.order().compare(c, best) < 0) {
        best = c;
      }
    }
    return best;
  }

  private static void addUnique(List<int[]> pop, Set<String> seen, int[] g) {
    if (seen.add(key(g))) {
      pop.add(g);
    }
  }

  static String key(int[] g) {
    return Arrays.toString(g);
  }

  /** Cached objective: [primary, tie-break]. */
  private final class Scorer {
    final Fitness fitness;
    final GaConfig.Objective objective;
    final Map<String, double[]> cache = new HashMap<>();

    Scorer(Fitness fitness, GaConfig.Objective objective) {
      this.fitness = fitness;
      this.objective = objective;
    }

    double[] score(int[] g) {
      return cache.computeIfAbsent(key(g), k -> objective == GaConfig.Objective.MAX_FLOPS
          ? new double[] {-(double) flops(g), bytes(g)}
          : new double[] {fitness.loss(g), flops(g)});
    }

    Comparator<int[]> order() {
      return (a, b) -> {
        double[] x = score(a);
        double[] y = score(b);
        int c = Double.compare(x[0], y[0]);
        if (c != 0) {
          return c;
        }
        c = Double.compare(x[1], y[1]);
        return c != 0 ? c : key(a).compareTo(key(b));
      };
    }
  }

  /**
   * Runs all three searches on the calibration fitness, scores each answer on the held-out fitness
   * and picks the lowest held-out loss (ties: fewer FLOPs, then bytes).
   */
  public SearchReport run(Fitness calibration, Fitness heldOut, GaConfig cfg) {
    return run(calibration, heldOut, cfg, true);
  }

  /** As {@link #run(Fitness, Fitness, GaConfig)}; without {@code withGa} only the baselines run. */
  public SearchReport run(Fitness calibration, Fitness heldOut, GaConfig cfg, boolean withGa) {
    Map<String, double[]> calCache = new HashMap<>();
    Fitness cal = g -> calCache.computeIfAbsent(key(g), k -> new double[] {calibration.loss(g)})[0];
    List<Candidate> cands = new ArrayList<>();
    int[] uni = uniformGenome();
    int[] dp = knapsackGenome();
    GaResult ga = withGa ? genetic(cal, cfg) : new GaResult(dp, 0, List.of());
    Object[][] runs = withGa
        ? new Object[][] {{"uniform", uni}, {"dp", dp}, {"ga", ga.genome()}}
        : new Object[][] {{"uniform", uni}, {"dp", dp}};
    for (Object[] c : runs) {
      int[] g = (int[]) c[1];
      cands.add(new Candidate((String) c[0], g, bytes(g), flops(g), cal.loss(g), heldOut.loss(g)));
    }
    Candidate best = cands.stream()
        .min(Comparator.comparingDouble(Candidate::heldOutLoss)
            .thenComparingLong(Candidate::flops)
            .thenComparingLong(Candidate::bytes))
        .orElseThrow();
    return new SearchReport(cands, best, ga.evaluations(), ga.bestPerGeneration());
  }

  /**
   * All candidates of one run and the chosen one.
   *
   * @param candidates uniform, dp and ga answers with calibration and held-out losses
   * @param chosen lowest held-out loss
   * @param gaEvaluations distinct genomes the GA scored
   * @param gaHistory best GA loss per generation
   */
  public record SearchReport(List<Candidate> candidates, Candidate chosen, int gaEvaluations, List<Double> gaHistory) {}
}
