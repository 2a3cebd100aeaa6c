package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tiny specs covering every layer type the trainer differentiates. */
final class Specs {
  private Specs() {}

  static List<FieldSpec> fields(int d, boolean sameDim) {
    List<FieldSpec> f = new ArrayList<>();
    f.add(FieldSpec.categorical("c0", FieldSpec.Role.CONTEXT, 5, 2, d));
    f.add(FieldSpec.categorical("c1", FieldSpec.Role.CANDIDATE, 0, 4, sameDim ? d : d + 1));
    f.add(FieldSpec.logBucket("n0", FieldSpec.Role.CONTEXT, 6, d));
    f.add(FieldSpec.scaled("s0", FieldSpec.Role.CANDIDATE, sameDim ? d : d + 2));
    return f;
  }

  static LowRankConfig lowRank(int emb, boolean fold, int[] mlp, int[] cross, boolean act) {
    return new LowRankConfig(emb, fold, mlp, cross, act, Map.of());
  }

  /** Named cases: every architecture, dense and low-rank, folded, factor activation, cross structures. */
  static Map<String, ModelSpec> all() {
    Map<String, ModelSpec> m = new java.util.LinkedHashMap<>();
    m.put("dnn-dense", ModelSpec.builder().name("dnn").architecture(Architecture.DNN).fields(fields(3, false))
        .mlp(5, 4).build());
    m.put("dnn-lowrank", ModelSpec.builder().name("dnnlr").architecture(Architecture.DNN).fields(fields(3, false))
        .mlp(5, 4).lowRank(lowRank(2, false, new int[] {2, 3}, new int[0], false)).build());
    m.put("dnn-lowrank-act", ModelSpec.builder().name("dnnlra").architecture(Architecture.DNN).fields(fields(3, false))
        .mlp(5, 4).lowRank(lowRank(2, false, new int[] {0, 2}, new int[0], true)).build());
    m.put("dnn-folded", ModelSpec.builder().name("dnnf").architecture(Architecture.DNN).fields(fields(3, false))
        .mlp(5, 4).lowRank(lowRank(2, true, new int[] {0, 2}, new int[0], false)).build());
    m.put("deepfm-dense", ModelSpec.builder().name("fm").architecture(Architecture.DEEPFM).fields(fields(3, true))
        .mlp(4).build());
    m.put("deepfm-lowrank", ModelSpec.builder().name("fmlr").architecture(Architecture.DEEPFM).fields(fields(3, true))
        .mlp(4).lowRank(lowRank(2, false, new int[] {2}, new int[0], false)).build());
    m.put("dcnv2-stacked", ModelSpec.builder().name("dcn").architecture(Architecture.DCNV2).fields(fields(2, false))
        .mlp(4).crossLayers(2).crossStructure(CrossStructure.STACKED).build());
    m.put("dcnv2-parallel-lowrank", ModelSpec.builder().name("dcnp").architecture(Architecture.DCNV2)
        .fields(fields(2, false)).mlp(4).crossLayers(2).crossStructure(CrossStructure.PARALLEL)
        .lowRank(lowRank(0, false, new int[] {2}, new int[] {2, 0}, false)).build());
    m.put("dcnv2-no-mlp", ModelSpec.builder().name("dcn0").architecture(Architecture.DCNV2).fields(fields(2, false))
        .crossLayers(1).crossStructure(CrossStructure.STACKED).build());
    return m;
  }
}
