package io.ctrstreams.trainer.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstreams.model.format.Float16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed safetensors file: tensors converted to float32 plus the {@code __metadata__} strings.
 *
 * <p>Validation before any allocation of tensor data: header length within the file and below
 * {@link #MAX_HEADER_BYTES}; every entry has a supported dtype (F32; F16 and BF16 are widened),
 * a shape of non-negative dims, and {@code data_offsets [begin, end]} with {@code 0 <= begin <=
 * end <= data length} and {@code end - begin == elements * dtype size}; entries do not overlap.
 * Each violation throws {@link SafetensorsException} naming the tensor and the values.
 */
public final class SafetensorsFile {
  /** Header size cap (the format's own reference implementation uses 100 MB). */
  public static final long MAX_HEADER_BYTES = 100L << 20;

  /** One tensor: name, source dtype, shape and float32 values. */
  public record Entry(String name, String dtype, int[] shape, float[] data) {}

  private final Map<String, Entry> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(Map<String, Entry> tensors, Map<String, String> metadata) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  /** Tensors by name, in header order. */
  public Map<String, Entry> tensors() {
    return tensors;
  }

  /** The {@code __metadata__} map (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Reads and validates a file. */
  public static SafetensorsFile read(Path path) throws IOException {
    long size = Files.size(path);
    if (size > Integer.MAX_VALUE - 8) {
      throw new SafetensorsException("safetensors file " + path + " of " + size + " bytes exceeds the 2 GB import limit");
    }
    return parse(Files.readAllBytes(path));
  }

  /** Parses and validates the bytes of a file. */
  public static SafetensorsFile parse(byte[] bytes) {
    if (bytes.length < 8) {
      throw new SafetensorsException("safetensors file must start with an 8-byte header length, found only "
          + bytes.length + " bytes");
    }
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = bb.getLong(0);
    if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > bytes.length - 8) {
      throw new SafetensorsException("safetensors header length " + Long.toUnsignedString(headerLen)
          + " is invalid for a file of " + bytes.length + " bytes (must be in [2, min(file - 8, "
          + MAX_HEADER_BYTES + ")])");
    }
    String json = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw new SafetensorsException("safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException("safetensors header must be a JSON object, found "
          + (root == null ? "nothing" : root.getNodeType()));
    }
    int dataStart = 8 + (int) headerLen;
    long dataLen = bytes.length - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    List<long[]> ranges = new ArrayList<>();
    List<String> names = new ArrayList<>();
    Map<String, Entry> tensors = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) {
          throw new SafetensorsException("safetensors __metadata__ must be an object of strings, found " + v.getNodeType());
        }
        v.fields().forEachRemaining(m -> {
          if (!m.getValue().isTextual()) {
            throw new SafetensorsException("safetensors __metadata__ value of " + m.getKey() + " must be a string, found "
                + m.getValue().getNodeType());
          }
          metadata.put(m.getKey(), m.getValue().asText());
        });
        continue;
      }
      if (!v.isObject()) {
        throw new SafetensorsException("tensor " + name + " header entry must be an object, found " + v.getNodeType());
      }
      String dtype = v.path("dtype").asText(null);
      int width = switch (dtype == null ? "" : dtype) {
        case "F32" -> 4;
        case "F16", "BF16" -> 2;
        default -> throw new SafetensorsException("tensor " + name + " has dtype " + dtype
            + "; supported: F32, F16, BF16");
      };
      JsonNode shapeNode = v.path("shape");
      if (!shapeNode.isArray()) {
        throw new SafetensorsException("tensor " + name + " must have a shape array, found " + shapeNode.getNodeType());
      }
      int[] shape = new int[shapeNode.size()];
      long elements = 1;
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.canConvertToLong() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
          throw new SafetensorsException("tensor " + name + " dimension " + i + " must be a non-negative int, found " + d);
        }
        shape[i] = (int) d.asLong();
        elements *= shape[i];
        if (elements > Integer.MAX_VALUE - 8) {
          throw new SafetensorsException("tensor " + name + " shape " + Arrays.toString(shape) + " has too many elements");
        }
      }
      JsonNode off = v.path("data_offsets");
      if (!off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
        throw new SafetensorsException("tensor " + name + " must have data_offsets [begin, end], found " + off);
      }
      long begin = off.get(0).asLong();
      long end = off.get(1).asLong();
      if (begin < 0 || end < begin || end > dataLen) {
        throw new SafetensorsException("tensor " + name + " data_offsets [" + begin + ", " + end
            + "] are out of range of the " + dataLen + "-byte data section");
      }
      if (end - begin != elements * width) {
        throw new SafetensorsException("tensor " + name + " shape " + Arrays.toString(shape) + " of " + dtype
            + " needs " + elements * width + " bytes, data_offsets give " + (end - begin));
      }
      ranges.add(new long[] {begin, end, names.size()});
      names.add(name);
      float[] data = new float[(int) elements];
      int p = dataStart + (int) begin;
      for (int i = 0; i < data.length; i++) {
        switch (dtype) {
          case "F32" -> data[i] = bb.getFloat(p + 4 * i);
          case "F16" -> data[i] = Float16.toFloat(bb.getShort(p + 2 * i));
          default -> data[i] = Float.intBitsToFloat((bb.getShort(p + 2 * i) & 0xffff) << 16);
        }
      }
      tensors.put(name, new Entry(name, dtype, shape, data));
    }
    ranges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    for (int i = 1; i < ranges.size(); i++) {
      long[] prev = ranges.get(i - 1);
      long[] cur = ranges.get(i);
      if (cur[0] < prev[1]) {
        throw new SafetensorsException("tensors " + names.get((int) prev[2]) + " [" + prev[0] + ", " + prev[1] + "] and "
            + names.get((int) cur[2]) + " [" + cur[0] + ", " + cur[1] + "] overlap");
      }
    }
    return new SafetensorsFile(tensors, metadata);
  }

  /** Serializes F32 tensors as a safetensors file (for tests, tools and round trips). */
  public static byte[] writeF32(Map<String, float[]> data, Map<String, int[]> shapes, Map<String, String> metadata) {
    ObjectMapper om = new ObjectMapper();
    Map<String, Object> header = new LinkedHashMap<>();
    if (metadata != null && !metadata.isEmpty()) {
      header.put("__metadata__", metadata);
    }
    long off = 0;
    for (Map.Entry<String, float[]> e : data.entrySet()) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("dtype", "F32");
      h.put("shape", shapes.get(e.getKey()));
      h.put("data_offsets", new long[] {off, off + 4L * e.getValue().length});
      off += 4L * e.getValue().length;
      header.put(e.getKey(), h);
    }
    byte[] hb;
    try {
      hb = om.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new SafetensorsException("cannot serialize safetensors header", e);
    }
    ByteBuffer out = ByteBuffer.allocate(8 + hb.length + (int) off).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(hb.length);
    out.put(hb);
    for (float[] v : data.values()) {
      for (float x : v) {
        out.putFloat(x);
      }
    }
    return out.array();
  }
}
