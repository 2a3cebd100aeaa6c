package io.ctrstreams.server;

import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.server.internal.GrpcInference;
import io.ctrstreams.server.internal.LimitedAggregator;
import io.ctrstreams.server.internal.RequestScorer;
import io.ctrstreams.server.internal.RestHandler;
import io.ctrstreams.server.internal.ServedLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The request/response scoring server: REST (Open Inference Protocol and {@code /v1/models/{name}/score})
 * on Netty's HTTP codec and the Open Inference Protocol's gRPC service on grpc-java (Netty transport), scoring with {@link ServedModels}' registries. Build with {@link #builder}, then
 * {@link #start}; {@link #close} stops accepting and waits for the event loops.
 */
public final class CtrServer implements AutoCloseable {
  /** Transports {@link Builder#transport} takes. */
  public static final List<String> TRANSPORTS = List.of("auto", "epoll", "nio");

  private final Builder b;
  private final RequestScorer scorer;
  private final boolean epoll;
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel restChannel;
  private io.grpc.Server grpc;

  private CtrServer(Builder b) {
    this.b = b;
    this.scorer = new RequestScorer(b.models, b.maxCandidates, b.metrics);
    this.epoll = useEpoll(b.transport);
  }

  /**
   * Whether {@code transport} means Netty's native epoll: {@code auto} = where it loads (Linux
   * x86_64), {@code epoll} = required, {@code nio} = never.
   */
  static boolean useEpoll(String transport) {
    switch (transport) {
      case "nio":
        return false;
      case "epoll":
        if (!Epoll.isAvailable()) {
          throw new ServerException("server.transport=epoll, but the native epoll transport cannot load here: "
              + Epoll.unavailabilityCause() + " (use auto or nio)");
        }
        return true;
      default:
        return Epoll.isAvailable();
    }
  }

  /** The REST transport in use: {@code epoll} or {@code nio}. */
  public String transport() {
    return epoll ? "epoll" : "nio";
  }

  /** A builder serving {@code models} with metrics in {@code metrics}. */
  public static Builder builder(ServedModels models, ServerMetrics metrics) {
    return new Builder(models, metrics);
  }

  /** Binds the REST port and starts serving (returns once bound). */
  public CtrServer start() throws InterruptedException {
    ImpressionCodec codec = new ImpressionCodec(WireFormat.AUTO, b.maxCandidates, b.maxIdLength, b.maxRequestBytes, null);
    RestHandler handler = new RestHandler(scorer, codec, b.metrics, b.log, b.version);
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ctr-serve-accept"), io);
    workers = new MultiThreadIoEventLoopGroup(b.threads, new DefaultThreadFactory("ctr-serve-io"), io);
    try {
      restChannel = new ServerBootstrap()
          .group(boss, workers)
          .channel(channel)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast("http", new HttpServerCodec())
                  .addLast("aggregate", new LimitedAggregator(b.maxRequestBytes))
                  .addLast("rest", handler);
            }
          })
          .bind(new InetSocketAddress(b.host, b.port)).sync().channel();
      if (b.grpcPort >= 0) {
        grpc = NettyServerBuilder.forAddress(new InetSocketAddress(b.host, b.grpcPort))
            .directExecutor() // score on the transport's threads, as REST does: no hand-off
            .maxInboundMessageSize(b.maxRequestBytes)
            .addService(new GrpcInference(scorer, codec, b.metrics, b.log, b.version).bind())
            .build().start();
      }
    } catch (IOException e) {
      close();
      throw new ServerException("cannot bind the gRPC port " + b.grpcPort + ": " + e.getMessage(), e);
    } catch (RuntimeException | InterruptedException e) {
      close();
      throw e;
    }
    return this;
  }

  /** The bound REST port. */
  public int port() {
    return ((InetSocketAddress) restChannel.localAddress()).getPort();
  }

  /** The bound gRPC port, -1 when gRPC is off. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.getPort();
  }

  /** The models served. */
  public ServedModels models() {
    return b.models;
  }

  @Override
  public void close() {
    if (grpc != null) {
      grpc.shutdown();
      try {
        grpc.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      grpc.shutdownNow();
    }
    if (restChannel != null) {
      restChannel.close().awaitUninterruptibly();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    if (workers != null) {
      workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  /** Settings of a {@link CtrServer}. */
  public static final class Builder {
    private final ServedModels models;
    private final ServerMetrics metrics;
    private String host = "0.0.0.0";
    private int port = 8080;
    private int grpcPort = -1;
    private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int maxRequestBytes = ImpressionCodec.DEFAULT_MAX_RECORD_BYTES;
    private int maxCandidates = ImpressionCodec.DEFAULT_MAX_CANDIDATES;
    private int maxIdLength = ImpressionCodec.DEFAULT_MAX_ID_LENGTH;
    private ServedLog log = ServedLog.NONE;
    private String version = "dev";
    private String transport = "auto";

    private Builder(ServedModels models, ServerMetrics metrics) {
      this.models = Objects.requireNonNull(models, "models");
      this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Address to bind (default all). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** REST port; 0 = any free port. */
    public Builder port(int port) {
      this.port = check("port", port, 0, 65535);
      return this;
    }

    /** gRPC port; 0 = any free port, -1 (the default) = no gRPC server. */
    public Builder grpcPort(int port) {
      this.grpcPort = check("gRPC port", port, -1, 65535);
      return this;
    }

    /** Event-loop threads that parse and score (default: the core count). */
    public Builder threads(int threads) {
      this.threads = check("threads", threads, 1, 1024);
      return this;
    }

    /** Largest request body accepted (413 above). */
    public Builder maxRequestBytes(int bytes) {
      this.maxRequestBytes = check("max request bytes", bytes, 64, Integer.MAX_VALUE);
      return this;
    }

    /** Most candidates in one request (413 above). */
    public Builder maxCandidates(int n) {
      this.maxCandidates = check("max candidates", n, 1, 1_000_000);
      return this;
    }

    /** Longest event or ad id, in characters. */
    public Builder maxIdLength(int n) {
      this.maxIdLength = check("max id length", n, 1, 1 << 20);
      return this;
    }

    /** Where served requests are logged (default nowhere). */
    public Builder log(ServedLog log) {
      this.log = Objects.requireNonNull(log, "log");
      return this;
    }

    /** The version the server reports ({@code GET /v2}). */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * The REST transport: {@code auto} (the default: Netty's native epoll where it loads, else
     * NIO), {@code epoll} (fails at build when it cannot load) or {@code nio}.
     */
    public Builder transport(String transport) {
      if (!TRANSPORTS.contains(transport)) {
        throw new ServerException("transport must be one of " + TRANSPORTS + ", found " + transport);
      }
      this.transport = transport;
      return this;
    }

    /** The server (not started). */
    public CtrServer build() {
      return new CtrServer(this);
    }

    private static int check(String what, int v, int min, int max) {
      if (v < min || v > max) {
        throw new ServerException(what + " must be in [" + min + ", " + max + "], found " + v);
      }
      return v;
    }
  }
}
