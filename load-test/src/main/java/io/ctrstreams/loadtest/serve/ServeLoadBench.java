package io.ctrstreams.loadtest.serve;

import com.google.protobuf.ByteString;
import io.ctrstreams.bench.BenchModels;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.loadtest.ImpressionFactory;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.server.CtrServer;
import io.ctrstreams.server.ServedModels;
import io.ctrstreams.server.ServerMetrics;
import io.ctrstreams.server.grpc.v2.InferTensorContents;
import io.ctrstreams.server.grpc.v2.ModelInferRequest;
import io.ctrstreams.server.grpc.v2.ModelInferResponse;
import io.ctrstreams.server.internal.GrpcInference;
import io.ctrstreams.server.internal.RequestScorer;
import io.ctrstreams.serving.ModelRecords;
import io.ctrstreams.serving.ModelRegistry;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Open-loop load on {@code ctr serve} (issue 17): requests are sent at fixed intended times (one
 * every 1/rate s, whatever the server does) and each latency is measured from its intended send
 * time, so a stalled server is charged for every request it delayed (no coordinated omission).
 * Latencies go to HdrHistogram. Server and generator share this JVM and the host's cores.
 *
 * <p>Runs, per model (the Criteo-shaped compressed and dense models of the JMH benchmarks): the
 * in-process scorer's single-thread ceiling; p50/p99/p99.9 at each rate over REST
 * ({@code /v1/models/{name}/score}) and gRPC (ModelInfer); the maximum closed-loop throughput;
 * and for the compressed model over REST and gRPC at 1,000 req/s, p99 with 20 hot swaps in the window
 * against the same window without swaps.
 *
 * <p>Args: {@code [seconds=10] [warmupSeconds=5] [rates=500,1000,2000] [candidates=16] [arch=DCNV2] [swap]}:
 * with {@code swap}, only the compressed model's steady and swapping windows.
 */
public final class ServeLoadBench {
  private static final int POOL = 256;
  private static final int MAX_OUTSTANDING = 2_000;

  private ServeLoadBench() {}

  /** One way of sending a request. */
  interface Sender extends AutoCloseable {
    void send(int index, Runnable done, Runnable failed);

    @Override
    void close();
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("ceiling")) {
      ceilingOf(java.nio.file.Path.of(args[1]), java.nio.file.Path.of(args[2]));
      return;
    }
    if (args.length == 6 && args[0].equals("remote")) {
      remote(Integer.parseInt(args[1]), java.nio.file.Path.of(args[2]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      return;
    }
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String[] rates = (args.length > 2 ? args[2] : "500,1000,2000").split(",");
    int candidates = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    String arch = args.length > 4 ? args[4] : "DCNV2";
    boolean swapOnly = args.length > 5 && args[5].equals("swap");
    System.out.printf(Locale.ROOT, "# ServeLoadBench: %d s measured after %d s warm-up per point, %d candidates, %s, %d cores%n",
        seconds, warmup, candidates, arch, Runtime.getRuntime().availableProcessors());
    for (boolean lowRank : swapOnly ? new boolean[] {true} : new boolean[] {true, false}) {
      String label = lowRank ? "compressed" : "dense";
      CtrModel model = BenchModels.model(arch, lowRank);
      byte[] ctrm = CtrmFormat.toBytes(model.toFile());
      ModelRegistry registry = new ModelRegistry("ctr");
      offer(registry, ctrm, 1);
      ImpressionFactory factory = new ImpressionFactory(model.spec(), candidates, "e", 7);
      List<Impression> pool = new ArrayList<>();
      for (int i = 0; i < POOL; i++) {
        pool.add(factory.impression(i, 1_700_000_000_000L));
      }
      ServedModels models = ServedModels.of(registry);
      double ceiling = scorerCeiling(models, pool, candidates);
      System.out.printf(Locale.ROOT, "%n## %s (%s)%nin-process scorer, 1 thread: %.0f req/s (%.0f candidates/s)%n",
          label, model.spec().name(), ceiling, ceiling * candidates);
      try (CtrServer server = CtrServer.builder(models, new ServerMetrics(new PrometheusRegistry()))
          .host("127.0.0.1").port(0).grpcPort(0).maxCandidates(Math.max(1000, candidates)).build().start()) {
        for (String protocol : new String[] {"rest", "grpc"}) {
          try (Sender s = sender(protocol, server, pool, model.spec())) {
            openLoop(s, 500, 10, 1, null); // JIT warm-up of both paths, not reported
          }
        }
        System.out.println("| protocol | rate req/s | sent | errors | p50 ms | p99 ms | p99.9 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String protocol : swapOnly ? new String[0] : new String[] {"rest", "grpc"}) {
          for (String r : rates) {
            try (Sender s = sender(protocol, server, pool, model.spec())) {
              Point p = openLoop(s, Integer.parseInt(r), warmup, seconds, null);
              System.out.println(p.row(protocol, Integer.parseInt(r)));
            }
          }
        }
        for (String protocol : swapOnly ? new String[0] : new String[] {"rest", "grpc"}) {
          try (Sender s = sender(protocol, server, pool, model.spec())) {
            double max = closedLoop(s, 64, warmup, seconds);
            System.out.printf(Locale.ROOT, "max throughput %s (64 in flight): %.0f req/s = %.2f x the 1-thread scorer ceiling%n",
                protocol, max, max / ceiling);
          }
        }
        if (lowRank) {
          AtomicLong version = new AtomicLong(1);
          for (String protocol : new String[] {"rest", "grpc"}) {
            try (Sender s = sender(protocol, server, pool, model.spec())) {
              Point steady = openLoop(s, 1000, warmup, seconds, null);
              Histogram swapNs = new Histogram(3);
              long swapsBefore = registry.swapCount();
              Runnable swap = () -> {
                io.ctrstreams.serving.DecodePriority.lowerCurrentThread(); // as the follower's thread does
                long t0 = System.nanoTime();
                offer(registry, ctrm, version.incrementAndGet());
                synchronized (swapNs) {
                  swapNs.recordValue(System.nanoTime() - t0);
                }
              };
              Point swapping = openLoop(s, 1000, warmup, seconds, swap);
              System.out.println("| " + protocol + " steady | 1000 " + steady.row("", 1000).substring(1));
              System.out.println("| " + protocol + " 20 swaps | 1000 " + swapping.row("", 1000).substring(1));
              System.out.printf(Locale.ROOT, "%s p99 during 20 swaps / steady: %.2f (swaps served: %d)%n", protocol,
                  swapping.p99() / steady.p99(), registry.swapCount() - swapsBefore);
              System.out.printf(Locale.ROOT, "swap (decode + prepare + publish) of %d bytes: median %.1f ms, max %.1f ms%n",
                  ctrm.length, swapNs.getValueAtPercentile(50) / 1e6, swapNs.getMaxValue() / 1e6);
            }
          }
        }
      }
    }
  }

  private static void offer(ModelRegistry registry, byte[] ctrm, long version) {
    ModelManifest manifest = ModelManifest.newBuilder()
        .setModel(registry.name()).setVersion(version).setChunkCount(1).setTotalBytes(ctrm.length)
        .setSha256(ModelRecords.sha256Hex(ctrm)).setCreatedAtEpochMs(System.currentTimeMillis())
        .setMetadata(new HashMap<>()).build();
    if (registry.offer(manifest, ctrm) != ModelRegistry.Outcome.SWAPPED) {
      throw new IllegalStateException("v" + version + " not served");
    }
  }

  /**
   * Open loop against a server in another process ({@code remote PORT request.json RATE SECONDS
   * WARMUP}, for serve-crosscheck.sh's hot-swap phase): REST {@code /v1/models/ctr/score} on
   * 127.0.0.1, one table row. wrk's paced mode is a closed loop, which sends less while the server
   * stalls and so hides the stall (coordinated omission); here every request is charged from its
   * intended send time.
   */
  private static void remote(int port, java.nio.file.Path request, int rate, int seconds, int warmup)
      throws java.io.IOException, InterruptedException {
    Impression imp = new ImpressionCodec(io.ctrstreams.schemas.WireFormat.JSON, 1000)
        .decode(java.nio.file.Files.readAllBytes(request), 0L);
    try (Sender s = rest(port, java.util.Collections.nCopies(POOL, imp))) {
      // a fresh JVM's HTTP client cannot keep an open loop's pace until compiled: warm it closed
      // loop first, or its backlog (a connection per request in flight) never drains
      closedLoop(s, 8, 0, warmup);
      System.out.println(openLoop(s, rate, 2, seconds, null).row("rest", rate));
    }
  }

  /** The in-process ceiling of one model file and one JSON request (for serve-crosscheck.sh). */
  private static void ceilingOf(java.nio.file.Path model, java.nio.file.Path request) throws java.io.IOException {
    ModelRegistry registry = new ModelRegistry("ctr");
    io.ctrstreams.server.ModelFiles.load(registry, model);
    Impression imp = new ImpressionCodec(io.ctrstreams.schemas.WireFormat.JSON, 1000)
        .decode(java.nio.file.Files.readAllBytes(request), 0L);
    List<Impression> pool = java.util.Collections.nCopies(POOL, imp);
    double ceiling = scorerCeiling(ServedModels.of(registry), pool, imp.getCandidates().size());
    System.out.printf(Locale.ROOT, "in-process scorer (RequestScorer.score, 1 thread): %.0f req/s (%.0f candidates/s)%n",
        ceiling, ceiling * imp.getCandidates().size());
  }

  private static double scorerCeiling(ServedModels models, List<Impression> pool, int candidates) {
    RequestScorer scorer = new RequestScorer(models, Math.max(1000, candidates), new ServerMetrics(new PrometheusRegistry()));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    int i = 0;
    while (System.nanoTime() < end) {
      scorer.score(pool.get(i++ % POOL), "rest");
    }
    long n = 0;
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    end = t0 + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < end) {
      scorer.score(pool.get(i++ % POOL), "rest");
      n++;
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    // thread CPU per request: what the ceiling costs whatever else the host runs (the wall-clock
    // rate above falls on a shared host; this does not, apart from cache effects)
    System.out.printf(Locale.ROOT, "in-process scorer thread CPU: %.1f us per request (%.0f req/s per CPU second)%n",
        (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / n, n / ((threads.getCurrentThreadCpuTime() - cpu0) / 1e9));
    return n / wall;
  }

  /** One measured point. */
  record Point(Histogram h, long sent, long errors, long skipped) {
    double p99() {
      return h.getValueAtPercentile(99) / 1e6;
    }

    String row(String protocol, int rate) {
      return String.format(Locale.ROOT, "| %s | %d | %d | %d | %.3f | %.3f | %.3f | %.3f |", protocol, rate, sent,
          errors + skipped, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
          h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
    }
  }

  /**
   * Sends at {@code rate} for warm-up + measured seconds; records the measured requests' latency
   * from their intended send time. {@code swap}, when given, runs 20 times evenly in the window.
   */
  static Point openLoop(Sender s, int rate, int warmupS, int seconds, Runnable swap) throws InterruptedException {
    Recorder rec = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
    AtomicLong errors = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    long skipped = 0;
    long period = 1_000_000_000L / rate;
    long warm = (long) rate * warmupS;
    long total = warm + (long) rate * seconds;
    long swapEvery = swap == null ? Long.MAX_VALUE : (total - warm) / 21;
    Thread swapper = null;
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    for (long i = 0; i < total; i++) {
      long intended = start + i * period;
      long now;
      while ((now = System.nanoTime()) < intended) {
        LockSupport.parkNanos(intended - now);
      }
      if (swap != null && i > warm && (i - warm) % swapEvery == 0 && (i - warm) / swapEvery <= 20) {
        if (swapper != null) {
          swapper.join(); // one swap at a time, in version order, as the follower applies them
        }
        swapper = new Thread(swap, "bench-swap"); // decode off the sending thread, as the follower does
        swapper.start();
      }
      boolean measured = i >= warm;
      if (outstanding.get() >= MAX_OUTSTANDING) {
        skipped += measured ? 1 : 0; // the server is this far behind: counted, never hidden
        continue;
      }
      outstanding.incrementAndGet();
      s.send((int) (i % POOL), () -> {
        long latency = System.nanoTime() - intended;
        if (measured) {
          rec.recordValue(Math.min(latency, TimeUnit.SECONDS.toNanos(60)));
        }
        outstanding.decrementAndGet();
      }, () -> {
        errors.incrementAndGet();
        outstanding.decrementAndGet();
      });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    if (swapper != null) {
      swapper.join();
    }
    return new Point(rec.getIntervalHistogram(), total - warm, errors.get(), skipped);
  }

  /** Requests per second with {@code inFlight} requests always outstanding. */
  static double closedLoop(Sender s, int inFlight, int warmupS, int seconds) throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight);
    AtomicLong done = new AtomicLong();
    long t0 = System.nanoTime();
    long measureFrom = t0 + TimeUnit.SECONDS.toNanos(warmupS);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    long countAtStart = -1;
    int i = 0;
    while (System.nanoTime() < end) {
      if (countAtStart < 0 && System.nanoTime() >= measureFrom) {
        countAtStart = done.get();
      }
      permits.acquire();
      s.send(i++ % POOL, () -> {
        done.incrementAndGet();
        permits.release();
      }, permits::release);
    }
    long n = done.get() - Math.max(0, countAtStart);
    permits.acquire(inFlight);
    return n / (seconds * 1.0);
  }

  static Sender sender(String protocol, CtrServer server, List<Impression> pool, ModelSpec spec) {
    return protocol.equals("rest") ? rest(server.port(), pool) : grpc(server.grpcPort(), pool, spec);
  }

  /** JSON {@code /v1/models/ctr/score} over the JDK's HTTP/1.1 client (async, keep-alive pool). */
  static Sender rest(int port, List<Impression> pool) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://127.0.0.1:" + port + "/v1/models/ctr/score");
    List<HttpRequest> requests = new ArrayList<>();
    for (Impression imp : pool) {
      requests.add(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(ImpressionCodec.encodeJson(imp))).build());
    }
    return new Sender() {
      @Override
      public void send(int index, Runnable done, Runnable failed) {
        http.sendAsync(requests.get(index), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
          if (e == null && r.statusCode() == 200) {
            done.run();
          } else {
            failed.run();
          }
        });
      }

      @Override
      public void close() {
        // the JDK 17 client has no close; its connections idle out
      }
    };
  }

  /** ModelInfer over grpc-java's Netty channel (one HTTP/2 connection). */
  static Sender grpc(int port, List<Impression> pool, ModelSpec spec) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    List<ModelInferRequest> requests = new ArrayList<>();
    for (Impression imp : pool) {
      requests.add(toInfer(imp, spec));
    }
    return new Sender() {
      @Override
      public void send(int index, Runnable done, Runnable failed) {
        ClientCalls.asyncUnaryCall(channel.newCall(GrpcInference.MODEL_INFER, CallOptions.DEFAULT), requests.get(index),
            new StreamObserver<ModelInferResponse>() {
              @Override
              public void onNext(ModelInferResponse value) {}

              @Override
              public void onError(Throwable t) {
                failed.run();
              }

              @Override
              public void onCompleted() {
                done.run();
              }
            });
      }

      @Override
      public void close() {
        channel.shutdownNow();
      }
    };
  }

  /** The impression as OIP input tensors: context fields [1], candidate fields and adId [n]. */
  static ModelInferRequest toInfer(Impression imp, ModelSpec spec) {
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("ctr").setId(imp.getEventId());
    int n = imp.getCandidates().size();
    for (FieldSpec f : spec.fields()) {
      boolean context = f.role() == FieldSpec.Role.CONTEXT;
      List<Object> values = new ArrayList<>();
      if (context) {
        values.add(imp.getContext().get(f.name()));
      } else {
        imp.getCandidates().forEach(c -> values.add(c.getFeatures().get(f.name())));
      }
      if (values.contains(null)) {
        continue; // missing somewhere: leave the field out (missing everywhere)
      }
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      boolean numeric = values.get(0) instanceof Double;
      for (Object v : values) {
        if (numeric) {
          c.addFp64Contents((Double) v);
        } else {
          c.addBytesContents(ByteString.copyFrom(String.valueOf(v), StandardCharsets.UTF_8));
        }
      }
      b.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(f.name())
          .setDatatype(numeric ? "FP64" : "BYTES").addShape(values.size()).setContents(c));
    }
    InferTensorContents.Builder ids = InferTensorContents.newBuilder();
    imp.getCandidates().forEach(c -> ids.addBytesContents(ByteString.copyFrom(c.getAdId(), StandardCharsets.UTF_8)));
    b.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("adId").setDatatype("BYTES").addShape(n).setContents(ids));
    return b.build();
  }

}
