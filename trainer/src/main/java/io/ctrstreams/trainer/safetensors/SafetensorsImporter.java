package io.ctrstreams.trainer.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CtrModel} of a given spec from safetensors weights.
 *
 * <p>Name mapping: for every tensor the spec needs ({@link ModelGraph#expectedShapes}), the source
 * key is {@code mapping.get(name)} when given, else the name itself, else the name with '/'
 * replaced by '.' (PyTorch state_dict style, e.g. {@code mlp.0.w}). Shapes must match exactly,
 * except that a shape differing only by size-1 dims with the same element count is accepted
 * (PyTorch keeps {@code [n]} where the core stores {@code [n, 1]} and vice versa). Vocabularies
 * come from the argument or from {@code __metadata__} entries {@code vocab/<field>} holding a JSON
 * array of strings. Unused source tensors are ignored but reported by {@link #unused}.
 */
public final class SafetensorsImporter {
  private SafetensorsImporter() {}

  /** The import result: the model and the source tensors that were not used. */
  public record Result(CtrModel model, List<String> unused) {}

  /**
   * Imports.
   *
   * @param mapping model tensor name -> source tensor name (may be empty)
   * @param vocabularies per field, or null to read them from the file's metadata
   * @throws SafetensorsException when a tensor is missing or has the wrong shape
   */
  public static Result importModel(ModelSpec spec, SafetensorsFile file, Map<String, String> mapping,
      Map<String, List<String>> vocabularies, String name, long version) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    java.util.Set<String> used = new java.util.HashSet<>();
    for (Map.Entry<String, int[]> e : ModelGraph.expectedShapes(spec).entrySet()) {
      String n = e.getKey();
      int[] shape = e.getValue();
      String src = mapping.get(n);
      SafetensorsFile.Entry t;
      if (src != null) {
        t = file.tensors().get(src);
        if (t == null) {
          throw new SafetensorsException("mapping sends tensor " + n + " to " + src + ", which the file does not have");
        }
      } else {
        t = file.tensors().get(n);
        src = n;
        if (t == null) {
          src = n.replace('/', '.');
          t = file.tensors().get(src);
        }
        if (t == null) {
          throw new SafetensorsException("safetensors file has no tensor " + n + " (nor " + n.replace('/', '.')
              + ") of shape " + Arrays.toString(shape) + " needed by model " + spec.name());
        }
      }
      if (!Arrays.equals(t.shape(), shape) && !(squeeze(t.shape()).equals(squeeze(shape)) && count(t.shape()) == count(shape))) {
        throw new SafetensorsException("tensor " + src + " has shape " + Arrays.toString(t.shape()) + ", model tensor " + n
            + " needs " + Arrays.toString(shape));
      }
      used.add(src);
      tensors.put(n, new Tensor(n, shape, t.data()));
    }
    Map<String, List<String>> vocab = vocabularies;
    if (vocab == null) {
      vocab = new LinkedHashMap<>();
      ObjectMapper om = new ObjectMapper();
      for (FieldSpec f : spec.fields()) {
        String json = file.metadata().get("vocab/" + f.name());
        if (json != null) {
          try {
            vocab.put(f.name(), om.readValue(json, new TypeReference<List<String>>() {}));
          } catch (JsonProcessingException ex) {
            throw new SafetensorsException("metadata vocab/" + f.name() + " must be a JSON array of strings", ex);
          }
        }
      }
    }
    List<String> unused = file.tensors().keySet().stream().filter(k -> !used.contains(k)).sorted().toList();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("import.source", "safetensors");
    return new Result(CtrModel.create(spec, name, version, tensors, vocab, meta), unused);
  }

  private static String squeeze(int[] s) {
    return Arrays.toString(Arrays.stream(s).filter(d -> d != 1).toArray());
  }

  private static long count(int[] s) {
    long n = 1;
    for (int d : s) {
      n *= d;
    }
    return n;
  }
}
