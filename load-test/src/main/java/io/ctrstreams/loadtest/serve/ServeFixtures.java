package io.ctrstreams.loadtest.serve;

import io.ctrstreams.bench.BenchModels;
import io.ctrstreams.loadtest.ImpressionFactory;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes what an external load tool needs to drive {@code ctr serve} with the same models and
 * requests as {@link ServeLoadBench} (issue 17's cross-check with {@code wrk} and {@code h2load},
 * {@code load-test/scripts/serve-crosscheck.sh}): {@code compressed.ctrm} and {@code dense.ctrm}
 * (the Criteo-shaped models of the JMH benchmarks), {@code request.json} (one impression of
 * {@code candidates} candidates for {@code POST /v1/models/ctr/score}) and {@code infer.grpc} (the
 * same impression as an OIP {@code ModelInferRequest} in gRPC's length-prefixed framing, the body
 * of an HTTP/2 POST to {@code /inference.GRPCInferenceService/ModelInfer}).
 *
 * <p>With {@code swaps > 0} it also writes {@code swap/compressed-v2.ctrm} ... {@code
 * compressed-v<swaps+1>.ctrm}: the compressed model as newer versions, for the script's hot-swap
 * phase, which renames them one by one over the file a {@code ctr serve} watches
 * ({@code model.file.poll.ms}), so the swaps happen in the server while the load tool runs in
 * another process.
 *
 * <p>Args: {@code outDir [candidates=16] [arch=DCNV2] [swaps=0]}.
 */
public final class ServeFixtures {
  private ServeFixtures() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: ServeFixtures outDir [candidates=16] [arch=DCNV2] [swaps=0]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    int candidates = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    String arch = args.length > 2 ? args[2] : "DCNV2";
    int swaps = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    Files.createDirectories(out);
    CtrModel compressed = BenchModels.model(arch, true);
    Files.write(out.resolve("compressed.ctrm"), CtrmFormat.toBytes(compressed.toFile()));
    Files.write(out.resolve("dense.ctrm"), CtrmFormat.toBytes(BenchModels.model(arch, false).toFile()));
    Impression imp = new ImpressionFactory(compressed.spec(), candidates, "e", 7).impression(0, 1_700_000_000_000L);
    Files.write(out.resolve("request.json"), ImpressionCodec.encodeJson(imp));
    byte[] infer = ServeLoadBench.toInfer(imp, compressed.spec()).toByteArray();
    ByteBuffer framed = ByteBuffer.allocate(5 + infer.length);
    framed.put((byte) 0).putInt(infer.length).put(infer); // gRPC message: uncompressed flag, big-endian length
    Files.write(out.resolve("infer.grpc"), framed.array());
    if (swaps > 0) {
      Path dir = Files.createDirectories(out.resolve("swap"));
      long first = Math.max(1, compressed.version()) + 1;
      for (long v = first; v < first + swaps; v++) {
        Files.write(dir.resolve("compressed-v" + v + ".ctrm"), CtrmFormat.toBytes(compressed.withVersion(v).toFile()));
      }
    }
    System.out.printf("wrote %s: compressed.ctrm, dense.ctrm, request.json (%d candidates), infer.grpc%s%n", out, candidates,
        swaps > 0 ? ", " + swaps + " newer versions in swap/" : "");
  }
}
