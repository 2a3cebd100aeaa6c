package io.ctrstreams.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.server.grpc.v2.InferTensorContents;
import io.ctrstreams.server.grpc.v2.ModelInferRequest;
import io.ctrstreams.topology.ImpressionFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * The gRPC {@code ModelInfer} direct path ({@link TensorFeatureReader}) against the general one
 * ({@link OipInputs#toImpression}, the codec's validation, {@link ImpressionFeatures#encode}) on
 * random requests in every shape the protocol allows, valid and not: whatever the reader takes
 * gives the general path's vectors and ad ids (or the same encoding failure), it never takes a
 * request the general path rejects, and it takes every request of the usual shape.
 */
class GrpcTensorPathProperties {
  private static final int MAX_CANDIDATES = 4;
  private static final int MAX_ID = 12;
  private static final ImpressionCodec CODEC = new ImpressionCodec(WireFormat.JSON, MAX_CANDIDATES, MAX_ID, 1 << 20, null);
  private static final ModelSpec SPEC = ModelSpec.builder()
      .name("ctr")
      .architecture(Architecture.DNN)
      .field(FieldSpec.categorical("user", Role.CONTEXT, 0, 32, 4))
      .field(FieldSpec.logBucket("hour", Role.CONTEXT, 24, 3))
      .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 64, 4))
      .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
      .field(FieldSpec.categorical("site", Role.CANDIDATE, 0, 16, 4))
      .mlp(8, 4)
      .build();
  private static final CtrModel MODEL = CtrModel.random(SPEC, 5);
  private static final String[] STRINGS = {"x", "a1", "", "日本", "ü", "13", "u-7", "a very long value"};
  private static final String[] NUMERIC_TYPES = {"FP32", "FP64", "INT32", "INT64", "INT8", "UINT32", "FP16"};
  private static final int TRIES = 2000;
  private static int direct;
  private static int usual;
  private static int tries;

  private final TensorFeatureReader reader = new TensorFeatureReader(MAX_CANDIDATES, MAX_ID);
  private final ImpressionFeatures directFeatures = new ImpressionFeatures(MODEL.encoder(), MAX_CANDIDATES);
  private final ImpressionFeatures generalFeatures = new ImpressionFeatures(MODEL.encoder(), MAX_CANDIDATES);

  @AfterProperty
  void directPathWasExercised() {
    if (tries < TRIES) {
      return; // the property failed and stopped: its failure is the one to see
    }
    assertThat(direct).as("requests the reader took").isGreaterThan(100);
    assertThat(usual).as("usual-shape requests").isGreaterThan(100);
  }

  @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
  void theDirectPathMatchesTheGeneralOne(@ForAll long seed, @ForAll @IntRange(min = 0, max = 3) int damage) {
    tries++;
    Random rnd = new Random(seed);
    boolean[] isUsual = {damage == 0};
    ModelInferRequest req = request(rnd, damage, isUsual);
    String id = req.getId().isEmpty() ? "grpc-1" : req.getId();

    Object general;
    int generalN = -1;
    try {
      Impression imp = GrpcInference.impression(req, SPEC, CODEC, id, 77L);
      try {
        generalN = generalFeatures.encode(imp);
        general = "ok";
      } catch (RuntimeException e) {
        general = e.getClass(); // a valid request the model's encoder rejects
      }
    } catch (RuntimeException e) {
      general = null; // rejected
    }

    Object taken;
    int n;
    try {
      n = reader.of(req, id).read(directFeatures);
      taken = n >= 0 ? "ok" : "declined";
    } catch (RuntimeException e) {
      n = 0;
      taken = e.getClass();
    }

    if ("declined".equals(taken)) {
      assertThat(isUsual[0] && "ok".equals(general)).as("a usual-shape valid request is declined: " + req).isFalse();
      return;
    }
    direct++;
    assertThat(general).as("the reader took a request the general path rejects: " + req).isNotNull();
    assertThat(taken).as(req.toString()).isEqualTo(general);
    if (!"ok".equals(taken)) {
      return;
    }
    if (isUsual[0]) {
      usual++;
    }
    assertThat(n).isEqualTo(generalN);
    assertThat(show(directFeatures.context(), Role.CONTEXT)).as("context of " + req).isEqualTo(show(generalFeatures.context(), Role.CONTEXT));
    for (int c = 0; c < n; c++) {
      assertThat(show(directFeatures.candidates()[c], Role.CANDIDATE)).as("candidate " + c + " of " + req)
          .isEqualTo(show(generalFeatures.candidates()[c], Role.CANDIDATE));
      assertThat(directFeatures.adId(c)).isEqualTo(generalFeatures.adId(c));
    }
  }

  /**
   * The vector's rows and values of the fields of {@code role} (the scorer reads only those from
   * it), as text so a failure shows both sides.
   */
  private static String show(FeatureVector v, Role role) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < SPEC.fieldCount(); i++) {
      if (SPEC.field(i).role() == role) {
        b.append(SPEC.field(i).name()).append('=').append(v.index()[i]).append(':').append(v.value()[i]).append(' ');
      }
    }
    return b.toString();
  }

  /**
   * A request with every field (in random order); {@code damage} > 0 applies that many changes that
   * make it unusual or invalid (or neither: a change may also leave it valid and usual).
   */
  private static ModelInferRequest request(Random rnd, int damage, boolean[] isUsual) {
    int n = 1 + rnd.nextInt(MAX_CANDIDATES);
    List<ModelInferRequest.InferInputTensor.Builder> inputs = new ArrayList<>();
    for (FieldSpec f : SPEC.fields()) {
      if (rnd.nextInt(6) == 0) {
        continue; // an absent field is missing: still usual
      }
      boolean context = f.role() == Role.CONTEXT;
      int count = context ? 1 : n;
      String type = f.type() == FieldSpec.Type.NUMERIC ? pick(rnd, "FP32", "FP64", "INT32", "INT64")
          : rnd.nextInt(5) == 0 ? pick(rnd, "FP64", "INT64") : "BYTES";
      inputs.add(tensor(rnd, f.name(), type, count, false));
    }
    if (rnd.nextBoolean()) {
      inputs.add(tensor(rnd, OipInputs.AD_ID, "BYTES", n, true));
    }
    if (inputs.stream().noneMatch(t -> t.getName().equals("ad") || t.getName().equals("bid")
        || t.getName().equals("site") || t.getName().equals(OipInputs.AD_ID))) {
      inputs.add(tensor(rnd, "ad", "BYTES", n, false)); // a candidate input sets n
    }
    java.util.Collections.shuffle(inputs, rnd);
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("ctr");
    if (rnd.nextBoolean()) {
      b.setId("e-" + rnd.nextInt(100));
    }
    for (int d = 0; d < damage; d++) {
      int i = rnd.nextInt(inputs.size());
      ModelInferRequest.InferInputTensor.Builder t = inputs.get(i);
      switch (rnd.nextInt(12)) {
        case 0 -> t.setName(pick(rnd, "zzz", "User", "")); // not a field
        case 1 -> inputs.add(inputs.get(rnd.nextInt(inputs.size())).clone()); // given twice
        case 2 -> { // another datatype, its values moved along when it is numeric
          String type = pick(rnd, "BYTES", "BOOL", "UINT8", "UINT64", "FP16", "FP32", "FP64", "INT16", "INT64", "X");
          inputs.set(i, tensor(rnd, t.getName(), type, dim0(t), false));
        }
        case 3 -> t.clearShape().addShape(dim0(t)).addShape(1); // [n, 1]: valid, usual
        case 4 -> t.clearShape().addShape(pick(rnd, 0L, -1L, dim0(t) + 1L)); // shape and values disagree
        case 5 -> t.clearShape(); // no shape
        case 6 -> t.addShape(2); // [n, k]
        case 7 -> inputs.set(i, tensor(rnd, t.getName(), t.getDatatype(), n + 1 + rnd.nextInt(4), false)); // n differs
        case 8 -> inputs.set(i, tensor(rnd, t.getName(), t.getDatatype(), rnd.nextInt(2), false)); // 0 or 1 values
        case 9 -> t.setContents(special(rnd, t.getDatatype(), t.getContents())); // NaN, huge, bad UTF-8, long
        case 10 -> b.setId(rnd.nextBoolean() ? "" : "e-".repeat(MAX_ID)); // generated id, or too long
        default -> b.addRawInputContents(ByteString.copyFromUtf8("x"));
      }
    }
    for (ModelInferRequest.InferInputTensor.Builder t : inputs) {
      b.addInputs(t);
    }
    return b.build();
  }

  /** The first dimension, 1 when there is none or it is negative. */
  private static int dim0(ModelInferRequest.InferInputTensor.Builder t) {
    return t.getShapeCount() == 0 || t.getShape(0) < 0 ? 1 : (int) Math.min(t.getShape(0), 8);
  }

  private static ModelInferRequest.InferInputTensor.Builder tensor(Random rnd, String name, String type, int count,
      boolean adId) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int i = 0; i < count; i++) {
      switch (type) {
        case "BYTES" -> c.addBytesContents(ByteString.copyFromUtf8(adId ? "ad-" + rnd.nextInt(1000)
            : STRINGS[rnd.nextInt(STRINGS.length)]));
        case "FP32", "FP16" -> c.addFp32Contents((float) (rnd.nextGaussian() * 10));
        case "FP64" -> c.addFp64Contents(rnd.nextBoolean() ? rnd.nextInt(50) : rnd.nextGaussian() * 100);
        case "INT8", "INT16", "INT32" -> c.addIntContents(rnd.nextInt(200) - 20);
        case "INT64" -> c.addInt64Contents(rnd.nextInt(1 << 20) - 5);
        case "UINT8", "UINT32" -> c.addUintContents(rnd.nextInt(100));
        case "UINT64" -> c.addUint64Contents(rnd.nextInt(100));
        case "BOOL" -> c.addBoolContents(rnd.nextBoolean());
        default -> c.addBytesContents(ByteString.copyFromUtf8("?"));
      }
    }
    return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(type).addShape(count).setContents(c);
  }

  /** One value made special: non-finite, beyond float range, invalid UTF-8, empty or over the id cap. */
  private static InferTensorContents special(Random rnd, String type, InferTensorContents c) {
    InferTensorContents.Builder b = c.toBuilder();
    if (b.getFp64ContentsCount() > 0) {
      b.setFp64Contents(0, pick(rnd, Double.NaN, Double.POSITIVE_INFINITY, 1e300, -0.0));
    } else if (b.getFp32ContentsCount() > 0) {
      b.setFp32Contents(0, pick(rnd, Float.NaN, Float.NEGATIVE_INFINITY, Float.MAX_VALUE));
    } else if (b.getBytesContentsCount() > 0) {
      b.setBytesContents(0, pick(rnd, ByteString.copyFrom(new byte[] {(byte) 0xc3}), ByteString.EMPTY,
          ByteString.copyFromUtf8("x".repeat(MAX_ID + 1)), ByteString.copyFromUtf8("日".repeat(MAX_ID / 3 + 1))));
    } else if (b.getInt64ContentsCount() > 0) {
      b.setInt64Contents(0, pick(rnd, Long.MAX_VALUE, Long.MIN_VALUE));
    }
    return b.build();
  }

  @SafeVarargs
  private static <T> T pick(Random rnd, T... options) {
    return options[rnd.nextInt(options.length)];
  }
}
