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
 * with reason {@code too_large}. On a keep-alive connection the rest of the body is read and
 * dropped (the aggregator's own handling) and the connection stays open: closing it while the
 * client is still sending made the kernel reset it, and the client then lost the 413 ("header
 * parser received no bytes", seen in CI). Otherwise the connection closes after the answer.
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
    if (HttpUtil.isKeepAlive(oversized) && !HttpUtil.is100ContinueExpected(oversized)) {
      ctx.writeAndFlush(resp); // the body's remaining content is discarded up to the next request
    } else {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // so no client reuses it
      ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
