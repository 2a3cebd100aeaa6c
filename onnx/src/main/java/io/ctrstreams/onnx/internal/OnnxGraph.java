package io.ctrstreams.onnx.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds one ONNX model (ModelProto with its GraphProto) node by node and encodes it with {@link
 * ProtoWriter}. Field numbers are those of onnx.proto (ONNX IR version 8); only the fields this
 * exporter writes are named here. Value names are made unique with a running counter.
 */
public final class OnnxGraph {
  /** IR version 8 (ONNX 1.10 to 1.12) is the one that goes with opset 17. */
  public static final long IR_VERSION = 8;
  /** The default-domain operator set the graph uses (ONNX 1.12; ONNX Runtime 1.12 and later). */
  public static final long OPSET = 17;

  /** TensorProto.DataType. */
  public static final int FLOAT = 1;
  public static final int INT64 = 7;
  public static final int DOUBLE = 11;

  // AttributeProto.AttributeType
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final List<ProtoWriter> inputs = new ArrayList<>();
  private final List<ProtoWriter> outputs = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private long initializerBytes;
  private int counter;

  /** One node attribute. */
  public record Attr(String name, int type, long i, float f, long[] ints) {
    public static Attr i(String name, long v) {
      return new Attr(name, ATTR_INT, v, 0f, null);
    }

    public static Attr f(String name, float v) {
      return new Attr(name, ATTR_FLOAT, 0, v, null);
    }

    public static Attr ints(String name, long... v) {
      return new Attr(name, ATTR_INTS, 0, 0f, v);
    }

    ProtoWriter encode() {
      ProtoWriter a = new ProtoWriter().string(1, name).int64(20, type);
      switch (type) {
        case ATTR_INT -> a.int64(3, i);
        case ATTR_FLOAT -> a.float32(2, f);
        default -> a.repeatedInt64(8, ints);
      }
      return a;
    }
  }

  /**
   * A graph input of element type {@code elemType}; a dimension below 0 is the symbolic batch
   * dimension {@code symbol}.
   */
  public void input(String name, int elemType, long[] dims, String symbol) {
    inputs.add(valueInfo(name, elemType, dims, symbol));
  }

  /** A graph output. */
  public void output(String name, int elemType, long[] dims, String symbol) {
    outputs.add(valueInfo(name, elemType, dims, symbol));
  }

  /** A key of the model's metadata_props. */
  public void metadata(String key, String value) {
    metadata.put(key, value);
  }

  /** A float initializer; returns its name. */
  public String constant(String name, long[] dims, float[] data) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("initializer " + name + " has " + data.length + " values for shape of "
          + n);
    }
    initializerBytes += 4L * data.length;
    ProtoWriter t = new ProtoWriter(4 * data.length + 64).repeatedInt64(1, dims).int64(2, FLOAT).string(8, name);
    t.rawFloats(9, data);
    initializers.add(t);
    return name;
  }

  /** An int64 initializer; returns its name. */
  public String constant(String name, long[] dims, long[] data) {
    initializerBytes += 8L * data.length;
    initializers.add(new ProtoWriter().repeatedInt64(1, dims).int64(2, INT64).string(8, name).rawLongs(9, data));
    return name;
  }

  /** A double initializer (little-endian raw data); returns its name. */
  public String constant(String name, long[] dims, double[] data) {
    long[] bits = new long[data.length];
    for (int i = 0; i < data.length; i++) {
      bits[i] = Double.doubleToRawLongBits(data[i]);
    }
    initializerBytes += 8L * data.length;
    initializers.add(new ProtoWriter().repeatedInt64(1, dims).int64(2, DOUBLE).string(8, name).rawLongs(9, bits));
    return name;
  }

  /** A double vector initializer; returns its name. */
  public String doubles(String prefix, double... data) {
    return constant(prefix + "_" + (counter++), new long[] {data.length}, data);
  }

  /** An int64 vector initializer (shapes, axes, offsets); returns its name. */
  public String longs(String prefix, long... data) {
    return constant(prefix + "_" + (counter++), new long[] {data.length}, data);
  }

  /** Bytes of initializer data so far. */
  public long initializerBytes() {
    return initializerBytes;
  }

  /** Adds a node with one output; returns the output's name. */
  public String node(String op, List<String> in, Attr... attrs) {
    String out = op.toLowerCase() + "_" + (counter++);
    node(op, in, out, attrs);
    return out;
  }

  /** Adds a node with one given output name. */
  public void node(String op, List<String> in, String out, Attr... attrs) {
    ProtoWriter n = new ProtoWriter();
    for (String s : in) {
      n.string(1, s);
    }
    n.string(2, out).string(3, out).string(4, op);
    for (Attr a : attrs) {
      n.message(5, a.encode());
    }
    nodes.add(n);
  }

  /** The encoded ModelProto. */
  public byte[] encode(String graphName, String producerVersion, long modelVersion, String doc) {
    long est = initializerBytes + 4096L * (nodes.size() + 1);
    ProtoWriter g = new ProtoWriter((int) Math.min(Integer.MAX_VALUE - 64L, est));
    for (ProtoWriter n : nodes) {
      g.message(1, n);
    }
    g.string(2, graphName);
    for (ProtoWriter t : initializers) {
      g.message(5, t);
    }
    for (ProtoWriter v : inputs) {
      g.message(11, v);
    }
    for (ProtoWriter v : outputs) {
      g.message(12, v);
    }
    ProtoWriter m = new ProtoWriter(g.size() + 4096);
    m.int64(1, IR_VERSION).string(2, "ctr-streams").string(3, producerVersion).string(4, "io.ctrstreams")
        .int64(5, modelVersion).string(6, doc).message(7, g)
        .message(8, new ProtoWriter().string(1, "").int64(2, OPSET));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      m.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue()));
    }
    return m.toByteArray();
  }

  private static ProtoWriter valueInfo(String name, int elemType, long[] dims, String symbol) {
    ProtoWriter shape = new ProtoWriter();
    for (long d : dims) {
      ProtoWriter dim = new ProtoWriter();
      if (d < 0) {
        dim.string(2, symbol);
      } else {
        dim.int64(1, d);
      }
      shape.message(1, dim);
    }
    ProtoWriter tensor = new ProtoWriter().int64(1, elemType).message(2, shape);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
  }
}
