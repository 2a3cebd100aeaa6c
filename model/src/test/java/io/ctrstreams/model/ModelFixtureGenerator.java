package io.ctrstreams.model;

import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.format.CtrmFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Wrote the model fixture {@code model/src/test/resources/fixtures/model-v1/dcnv2-lowrank.ctrm}
 * that {@link ModelFixtureTest} must keep loading and scoring to the same logits forever. It was
 * run once (on commit 9df7021, before the spec JSON had a version field, so the fixture also
 * stands for the models already held in compacted topics) and is kept to document how the file
 * was made; no test runs it, and it refuses to overwrite an existing file, because a fixture
 * that is silently regenerated protects nothing. A new spec version gets a new fixture directory.
 *
 * <pre>
 * mvn -B -q -o -pl model test-compile
 * java -cp model/target/classes:model/target/test-classes:JACKSON_JARS \
 *     io.ctrstreams.model.ModelFixtureGenerator model/src/test/resources/fixtures/model-v1
 * </pre>
 *
 * ({@code JACKSON_JARS}: the jackson-databind, -core and -annotations jars.) It prints the
 * logits of {@link ModelFixtureTest}'s inputs as hex float literals.
 */
public final class ModelFixtureGenerator {
  static final String FILE_NAME = "dcnv2-lowrank.ctrm";
  private static final long SEED = 20261202L;

  private ModelFixtureGenerator() {}

  /**
   * A stacked DCNv2 that has every kind of layer: dense, low-rank and overridden-rank embeddings,
   * a SCALED numeric field, a low-rank and a dense cross layer, a low-rank and a dense MLP layer
   * (factor activation on), a vocabulary.
   */
  static ModelSpec spec() {
    return ModelSpec.builder()
        .name("fixture-dcnv2")
        .architecture(Architecture.DCNV2)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 2, 4))
        .field(FieldSpec.logBucket("age", Role.CONTEXT, 10, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 7, 4))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .crossLayers(2)
        .crossStructure(CrossStructure.STACKED)
        .mlp(6, 4)
        .lowRank(new LowRankConfig(2, false, new int[] {3, 0}, new int[] {3, 0}, true, Map.of("ad", 3)))
        .build();
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ModelFixtureGenerator <output directory>");
      System.exit(2);
    }
    Path out = Path.of(args[0]).resolve(FILE_NAME);
    if (Files.exists(out)) {
      System.err.println(out + " exists; model fixtures are never regenerated");
      System.exit(1);
    }
    CtrModel random = CtrModel.random(spec(), SEED);
    CtrModel model = CtrModel.create(random.spec(), random.spec().name(), 3, random.tensorMap(),
        random.vocabularies(), Map.of("created-by", "ModelFixtureGenerator", "seed", Long.toString(SEED)));
    CtrmFormat.write(model.toFile(), out);
    CtrModel back = CtrModel.fromFile(CtrmFormat.read(out));
    System.out.println("spec " + back.spec().toJson());
    System.out.println("bytes " + Files.size(out) + " sha256 " + CtrmFormat.sha256Hex(out));
    FeatureVector context = ModelFixtureTest.context();
    FeatureVector[] candidates = ModelFixtureTest.candidates();
    float[] batch = new float[candidates.length];
    back.scorer().scoreLogitsBatch(context, candidates, candidates.length, batch);
    for (int i = 0; i < candidates.length; i++) {
      System.out.printf("candidate %d: reference %sf optimized %sf batch %sf%n", i,
          Float.toHexString(back.referenceScorer().scoreLogit(context, candidates[i])),
          Float.toHexString(back.scorer().scoreLogit(context, candidates[i])),
          Float.toHexString(batch[i]));
    }
  }
}
