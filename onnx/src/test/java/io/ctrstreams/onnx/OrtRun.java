package io.ctrstreams.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An exported graph in an ONNX Runtime session (one thread, all graph optimizations), for the tests. */
final class OrtRun implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final OnnxExport.Signature sig;

  OrtRun(byte[] model, ModelSpec spec) throws OrtException {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setInterOpNumThreads(1);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(model, o);
    }
    sig = OnnxExport.Signature.of(spec);
  }

  OrtSession session() {
    return session;
  }

  /** The graph's {@code output} for one request. */
  float[] run(FeatureVector ctx, FeatureVector[] cands, int n, String output) throws OrtException {
    List<OnnxTensor> open = new ArrayList<>();
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      put(in, open, OnnxExport.CONTEXT_INDEX, rows(new FeatureVector[] {ctx}, 1, sig.contextIndex()),
          1, sig.contextIndex().length);
      put(in, open, OnnxExport.CONTEXT_VALUE, values(new FeatureVector[] {ctx}, 1, sig.contextValue()),
          1, sig.contextValue().length);
      put(in, open, OnnxExport.CANDIDATE_INDEX, rows(cands, n, sig.candidateIndex()), n, sig.candidateIndex().length);
      put(in, open, OnnxExport.CANDIDATE_VALUE, values(cands, n, sig.candidateValue()), n,
          sig.candidateValue().length);
      try (OrtSession.Result r = session.run(in, Set.of(output))) {
        FloatBuffer b = ((OnnxTensor) r.get(0)).getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
      }
    } finally {
      for (OnnxTensor t : open) {
        t.close();
      }
    }
  }

  private void put(Map<String, OnnxTensor> in, List<OnnxTensor> open, String name, Object data, int rows, int cols)
      throws OrtException {
    if (cols == 0) {
      return;
    }
    long[] shape = {rows, cols};
    OnnxTensor t = data instanceof long[] l ? OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape)
        : OnnxTensor.createTensor(env, FloatBuffer.wrap((float[]) data), shape);
    open.add(t);
    in.put(name, t);
  }

  private static long[] rows(FeatureVector[] v, int n, int[] fields) {
    long[] a = new long[n * fields.length];
    for (int i = 0; i < n; i++) {
      OnnxExport.Signature.rows(v[i], fields, a, i * fields.length);
    }
    return a;
  }

  private static float[] values(FeatureVector[] v, int n, int[] fields) {
    float[] a = new float[n * fields.length];
    for (int i = 0; i < n; i++) {
      OnnxExport.Signature.values(v[i], fields, a, i * fields.length);
    }
    return a;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
