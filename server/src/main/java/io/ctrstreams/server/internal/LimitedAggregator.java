package io.ctrstreams.server.internal;

import io.ctrstreams.schemas.DecodeFailure;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator with the request size limit answered in the server's JSON error shape: 413
 * with reason {@code too_large}, then the connection closes (the rest of the body is not read).
 */
public final class LimitedAggregator extends HttpObjectAggregator {
  private final int maxBytes;

  /** Aggregates request bodies of up to {@code maxBytes}. */
  public LimitedAggregator(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    FullHttpResponse resp = RestHandler.error(ctx, 413, DecodeFailure.TOO_LARGE.label(),
        "request body is over " + maxBytes + " bytes (server.max.request.bytes)");
    HttpUtil.setContentLength(resp, resp.content().readableBytes());
    resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // so no client reuses it
    ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
  }
}
