package io.ctrstreams.server.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.server.ServerMetrics;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.DeadLetters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST routes, on Netty's parsed and aggregated requests. Scoring runs on the connection's
 * event-loop thread (a request of 16 candidates scores in microseconds; a hand-off would cost
 * more than it saves). Every client mistake is a 4xx with {@code {"error": message, "reason":
 * label}}; a 500 only for a model that fails on a valid request ({@code scoring_failed}).
 *
 * <p>Routes: {@code GET /v2}, {@code /v2/health/live}, {@code /v2/health/ready}, {@code
 * /v2/models/{name}}, {@code /v2/models/{name}/ready}, {@code POST /v2/models/{name}/infer},
 * {@code POST /v1/models/{name}/score}, {@code GET /metrics}.
 */
@ChannelHandler.Sharable
public final class RestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(RestHandler.class);
  private static final String V1_SCORE = "/v1/models/{name}/score";
  private static final String V2_INFER = "/v2/models/{name}/infer";
  private static final String V2_MODEL = "/v2/models/{name}";
  private static final String V2_MODEL_READY = "/v2/models/{name}/ready";
  private static final String OTHER = "other";

  private final RequestScorer scorer;
  private final ImpressionCodec codec;
  private final ServerMetrics metrics;
  private final ServedLog log;
  private final String version;
  private final AtomicLong requestIds = new AtomicLong();
  private final String idPrefix = "srv-" + Long.toHexString(System.nanoTime()) + "-";

  /** A handler scoring with {@code scorer}, validating with {@code codec}. */
  public RestHandler(RequestScorer scorer, ImpressionCodec codec, ServerMetrics metrics, ServedLog log,
      String version) {
    super(true);
    this.scorer = scorer;
    this.codec = codec;
    this.metrics = metrics;
    this.log = log;
    this.version = version;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    long t0 = System.nanoTime();
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    String path = req.uri();
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    String endpoint = OTHER;
    FullHttpResponse resp;
    try {
      if (!req.decoderResult().isSuccess()) {
        throw new RequestException(400, DecodeFailure.BAD_JSON.label(), "malformed HTTP request: "
            + req.decoderResult().cause());
      }
      if (path.startsWith("/v1/models/") && path.endsWith("/score")) {
        endpoint = V1_SCORE;
        resp = score(ctx, req, modelName(path, "/v1/models/", "/score"));
      } else if (path.startsWith("/v2/models/") && path.endsWith("/infer")) {
        endpoint = V2_INFER;
        resp = infer(ctx, req, modelName(path, "/v2/models/", "/infer"));
      } else if (path.startsWith("/v2/models/") && path.endsWith("/ready")) {
        endpoint = V2_MODEL_READY;
        requireGet(req);
        resp = modelReady(ctx, modelName(path, "/v2/models/", "/ready"));
      } else if (path.startsWith("/v2/models/") && path.indexOf('/', "/v2/models/".length()) < 0) {
        endpoint = V2_MODEL;
        requireGet(req);
        resp = metadata(ctx, modelName(path, "/v2/models/", ""));
      } else if (path.equals("/v2/health/live")) {
        endpoint = path;
        requireGet(req);
        resp = json(ctx, HttpResponseStatus.OK, g -> g.writeBooleanField("live", true));
      } else if (path.equals("/v2/health/ready")) {
        endpoint = path;
        requireGet(req);
        boolean ready = scorer.models().ready();
        resp = json(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            g -> g.writeBooleanField("ready", ready));
      } else if (path.equals("/v2")) {
        endpoint = path;
        requireGet(req);
        resp = json(ctx, HttpResponseStatus.OK, g -> {
          g.writeStringField("name", "ctr-streams");
          g.writeStringField("version", version);
          g.writeArrayFieldStart("extensions");
          g.writeEndArray();
        });
      } else if (path.equals("/metrics")) {
        endpoint = path;
        requireGet(req);
        resp = metricsPage(ctx);
      } else {
        throw new RequestException(404, "no_route", "no route " + req.method() + " " + quotePath(path)
            + " (see /v2/models/{name}/infer and /v1/models/{name}/score)");
      }
    } catch (RequestException e) {
      resp = error(ctx, e.status(), e.reason(), e.getMessage());
    } catch (CodecException e) {
      int status = e.reason() == DecodeFailure.TOO_MANY_CANDIDATES || e.reason() == DecodeFailure.TOO_LARGE ? 413 : 400;
      resp = error(ctx, status, e.reason().label(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", req.method(), quotePath(path), e);
      resp = error(ctx, 500, DeadLetters.SCORING_FAILED, "scoring failed: " + e);
    }
    int status = resp.status().code();
    if (status >= 400 && (endpoint == V1_SCORE || endpoint == V2_INFER) && status != 404 && status != 503 && status != 405) {
      metrics.rejected(endpoint == V1_SCORE ? ServerMetrics.Protocol.REST : ServerMetrics.Protocol.OIP_REST,
          reasonOf(resp));
    }
    HttpUtil.setContentLength(resp, resp.content().readableBytes());
    if (keepAlive) {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(resp);
    } else {
      ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }
    metrics.request(endpoint, Integer.toString(status), System.nanoTime() - t0);
  }

  private FullHttpResponse score(ChannelHandlerContext ctx, FullHttpRequest req, String name) {
    requirePost(req);
    checkModel(name);
    RequestScorer.Result r = scorer.score(ByteBufUtil.getBytes(req.content()), System.currentTimeMillis(), codec,
        ServerMetrics.Protocol.REST);
    return scored(ctx, r, false);
  }

  private FullHttpResponse infer(ChannelHandlerContext ctx, FullHttpRequest req, String name) {
    requirePost(req);
    ServedModel m = checkModel(name);
    Impression imp = OipJson.parseInfer(ByteBufUtil.getBytes(req.content()), m.model().spec(), codec.maxCandidates(),
        idPrefix + requestIds.incrementAndGet(), System.currentTimeMillis());
    codec.validate(imp);
    return scored(ctx, scorer.score(imp, ServerMetrics.Protocol.OIP_REST), true);
  }

  private FullHttpResponse scored(ChannelHandlerContext ctx, RequestScorer.Result r, boolean oip) {
    if (r == null) {
      throw notLoaded(scorer.models().name());
    }
    FullHttpResponse resp = raw(ctx, HttpResponseStatus.OK, g -> {
      if (oip) {
        OipJson.writeInferResponse(g, r);
      } else {
        writeScores(g, r);
      }
    });
    log.served(r);
    return resp;
  }

  private static void writeScores(JsonGenerator g, RequestScorer.Result r) throws IOException {
    g.writeStartObject();
    g.writeStringField("model", r.model().name());
    g.writeNumberField("version", r.model().version());
    g.writeArrayFieldStart("scores");
    for (int i = 0; i < r.size(); i++) {
      g.writeStartObject();
      g.writeStringField("adId", r.adId(i));
      g.writeNumberField("pctr", r.pctr(i));
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private FullHttpResponse modelReady(ChannelHandlerContext ctx, String name) {
    if (!name.equals(scorer.models().name())) {
      throw unknownModel(name);
    }
    boolean ready = scorer.models().ready();
    return json(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, g -> {
      g.writeStringField("name", name);
      g.writeBooleanField("ready", ready);
    });
  }

  private FullHttpResponse metadata(ChannelHandlerContext ctx, String name) {
    ServedModel m = checkModel(name);
    return raw(ctx, HttpResponseStatus.OK, g -> OipJson.writeMetadata(g, m));
  }

  /** The served model of {@code name}: 404 for another name, 503 before it is loaded. */
  private ServedModel checkModel(String name) {
    if (!name.equals(scorer.models().name())) {
      throw unknownModel(name);
    }
    ServedModel m = scorer.models().live().current();
    if (m == null) {
      throw notLoaded(name);
    }
    return m;
  }

  private RequestException unknownModel(String name) {
    return new RequestException(404, RequestException.UNKNOWN_MODEL, "unknown model '" + OipJson.quote(name)
        + "'; this server serves '" + scorer.models().name() + "'");
  }

  private static RequestException notLoaded(String name) {
    return new RequestException(503, DeadLetters.NO_MODEL, "model '" + name + "' is not loaded yet");
  }

  private FullHttpResponse metricsPage(ChannelHandlerContext ctx) {
    ByteBuf buf = ctx.alloc().buffer(16 * 1024);
    try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
      PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    } catch (IOException e) {
      buf.release();
      throw new IllegalStateException("writing metrics failed", e);
    }
    FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
    resp.headers().set(HttpHeaderNames.CONTENT_TYPE, PrometheusTextFormatWriter.CONTENT_TYPE);
    return resp;
  }

  private static String modelName(String path, String prefix, String suffix) {
    if (path.length() < prefix.length() + suffix.length()) {
      return "";
    }
    String name = path.substring(prefix.length(), path.length() - suffix.length());
    return io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(name);
  }

  private static void requireGet(FullHttpRequest req) {
    if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
      throw new RequestException(405, "method_not_allowed", req.method() + " not allowed here; use GET");
    }
  }

  private static void requirePost(FullHttpRequest req) {
    if (!req.method().equals(HttpMethod.POST)) {
      throw new RequestException(405, "method_not_allowed", req.method() + " not allowed here; use POST");
    }
  }

  private static String quotePath(String path) {
    return OipJson.quote(path);
  }

  /** Writes the body of a JSON response. */
  @FunctionalInterface
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /** A JSON object response whose fields {@code body} writes. */
  private static FullHttpResponse json(ChannelHandlerContext ctx, HttpResponseStatus status, Body body) {
    return raw(ctx, status, g -> {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    });
  }

  /** A JSON response that {@code body} writes whole. */
  private static FullHttpResponse raw(ChannelHandlerContext ctx, HttpResponseStatus status, Body body) {
    ByteBuf buf = ctx.alloc().buffer(256);
    try (ByteBufOutputStream out = new ByteBufOutputStream(buf);
        JsonGenerator g = OipJson.factory().createGenerator((java.io.OutputStream) out)) {
      body.write(g);
    } catch (IOException | RuntimeException e) {
      buf.release();
      throw e instanceof RuntimeException re ? re : new IllegalStateException("writing the response failed", e);
    }
    FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
    resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    return resp;
  }

  /** A {@code {"error": message, "reason": label}} response. */
  static FullHttpResponse error(ChannelHandlerContext ctx, int status, String reason, String message) {
    FullHttpResponse resp = json(ctx, HttpResponseStatus.valueOf(status), g -> {
      g.writeStringField("error", message);
      g.writeStringField("reason", reason);
    });
    resp.headers().set("X-Ctr-Reason", reason);
    return resp;
  }

  private static String reasonOf(FullHttpResponse resp) {
    String r = resp.headers().get("X-Ctr-Reason");
    return r == null ? "unknown" : r;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }

}
