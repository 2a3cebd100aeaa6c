package io.ctrstreams.model.format;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelFixtureTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the format-version-2 fixtures {@code model/src/test/resources/fixtures/ctrm-v2/}
 * {@value #PLATT_FILE} and {@value #ISOTONIC_FILE} that {@link CtrmV2FixtureTest} must keep
 * loading and scoring forever: the checked-in model fixture {@code fixtures/model-v1/dcnv2-lowrank.ctrm}
 * (a real DCN-V2 spec and weights whose logits numpy cross-checks) with a calibration record
 * added, one Platt map and one isotonic map. Run it only to create the fixture of a <i>new</i>
 * format version (copy this class, change the directory); it refuses to overwrite an existing
 * file, because a fixture that is silently regenerated protects nothing.
 *
 * <pre>
 * mvn -B -q -o -pl model test-compile
 * java -cp model/target/classes:model/target/test-classes:JACKSON_JARS \
 *     io.ctrstreams.model.format.CtrmV2FixtureGenerator model/src/test/resources/fixtures/ctrm-v2
 * </pre>
 *
 * ({@code JACKSON_JARS}: the jackson-databind, -core and -annotations jars.) It prints the sizes,
 * SHA-256 digests and the pCTRs of {@link ModelFixtureTest}'s inputs that the test hard-codes.
 */
public final class CtrmV2FixtureGenerator {
  static final String PLATT_FILE = "dcnv2-platt.ctrm";
  static final String ISOTONIC_FILE = "dcnv2-isotonic.ctrm";

  /** Platt map: sigmoid(0.75 z - 1.5), both exact in binary. */
  static Calibration platt() {
    return Calibration.platt(0.75, -1.5);
  }

  /**
   * Isotonic map with a flat stretch (as pool-adjacent-violators makes them) and knots placed so
   * that the fixture's three candidates (logits 0.0376, 0.0283, 0.0235) fall in three different
   * segments: flat, between two close knots, and in the long first segment.
   */
  static Calibration isotonic() {
    return Calibration.isotonic(new double[] {-1.0, 0.025, 0.03, 0.04, 0.5},
        new double[] {0.01, 0.02, 0.05, 0.05, 0.3});
  }

  private CtrmV2FixtureGenerator() {}

  /** The model-v1 fixture's content with {@code calibration} and metadata naming the map. */
  static ModelFile content(Calibration calibration) {
    ModelFile v1;
    try (InputStream in = CtrmV2FixtureGenerator.class.getResourceAsStream(ModelFixtureTest.RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(ModelFixtureTest.RESOURCE + " is not on the class path");
      }
      v1 = CtrmFormat.read(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> meta = new LinkedHashMap<>(v1.metadata());
    meta.put("fixture", "CtrmV2FixtureGenerator");
    meta.put("calibration", calibration.kind().name().toLowerCase(java.util.Locale.ROOT));
    return new ModelFile(v1.modelName(), v1.modelVersion(), v1.specJson(), meta, v1.tensors(), v1.stringTables(),
        calibration);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: CtrmV2FixtureGenerator <output directory>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    for (String name : new String[] {PLATT_FILE, ISOTONIC_FILE}) {
      if (Files.exists(dir.resolve(name))) {
        System.err.println(dir.resolve(name) + " exists; fixtures of a released format version are never regenerated");
        System.exit(1);
      }
    }
    write(dir.resolve(PLATT_FILE), platt());
    write(dir.resolve(ISOTONIC_FILE), isotonic());
  }

  private static void write(Path out, Calibration c) throws IOException {
    CtrmFormat.write(content(c), out);
    CtrModel back = CtrModel.fromFile(CtrmFormat.read(out));
    System.out.println(out.getFileName() + ": " + back.calibration() + " bytes " + Files.size(out) + " sha256 "
        + CtrmFormat.sha256Hex(out));
    FeatureVector ctx = ModelFixtureTest.context();
    FeatureVector[] cands = ModelFixtureTest.candidates();
    float[] batch = new float[cands.length];
    back.scorer().scoreBatch(ctx, cands, cands.length, batch);
    for (int i = 0; i < cands.length; i++) {
      System.out.printf("candidate %d: reference %sf optimized %sf batch %sf%n", i,
          Float.toHexString(back.referenceScorer().score(ctx, cands[i])),
          Float.toHexString(back.scorer().score(ctx, cands[i])), Float.toHexString(batch[i]));
    }
  }
}
