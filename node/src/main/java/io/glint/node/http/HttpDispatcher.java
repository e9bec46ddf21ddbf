package io.glint.node.http;

import io.glint.node.auth.Authenticator;
import io.glint.registry.model.Identity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.UnaryOperator;

/**
 * One connection's request loop. Requests are handled one at a time, in order: the channel reads
 * (auto-read is off) only while a request is being received, so a pipelining client waits. The
 * event loop parses and routes; handlers run on the worker pool; a streamed body flows through a
 * {@link RequestBodyStream} with backpressure. A request whose body was not fully read (early error,
 * oversized body) ends its connection, so an unread body can never be taken for the next request.
 */
final class HttpDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpDispatcher.class);
    private static final int PIPELINED_MAX = 64;
    private static final int REQUEST_ID_MAX_CHARS = 64;
    /** Bounds of a lingering close: how long and how much of an unread body is drained. */
    private static final long LINGER_MILLIS = 2_000;
    private static final long LINGER_BYTES_MAX = 16L << 20;

    private final HttpOptions options;
    private final Router router;
    private final Authenticator auth;
    private final UnaryOperator<String> pathNormalizer;
    private final Executor workers;
    private final HttpStats stats;

    private ChannelHandlerContext ctx;
    private HttpRequest current;
    private boolean bodyDone;
    private boolean discarding;
    /** an error was answered from the event loop before the body ended */
    private boolean responded;
    /** the answer is out and the connection closes once the unread body is drained (bounded) */
    private boolean lingering;
    private long lingeredBytes;
    private Route.BodyMode mode;
    private Request pendingRequest;
    private Route.Handler pendingHandler;
    private ByteArrayOutputStream jsonBody;
    private RequestBodyStream stream;
    private volatile ChannelBodySink sink;
    private final ArrayDeque<HttpObject> pipelined = new ArrayDeque<>();

    HttpDispatcher(HttpOptions options, Router router, Authenticator auth, UnaryOperator<String> pathNormalizer,
                   Executor workers, HttpStats stats) {
        this.options = options;
        this.router = router;
        this.auth = auth;
        this.pathNormalizer = pathNormalizer;
        this.workers = workers;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject o)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null && bodyDone) {
            if (pipelined.size() >= PIPELINED_MAX) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            pipelined.add(o);
            return;
        }
        process(o);
    }

    private void process(HttpObject o) {
        if (o instanceof HttpRequest req) {
            if (current != null) {
                // a new request head while the previous body is unfinished: the connection is confused
                ReferenceCountUtil.release(o);
                ctx.close();
                return;
            }
            onRequest(req);
        }
        if (o instanceof HttpContent content) {
            if (current == null) {
                content.release();
                return;
            }
            onContent(content);
        }
    }

    private void onRequest(HttpRequest req) {
        current = req;
        bodyDone = false;
        discarding = false;
        mode = Route.BodyMode.NONE;
        String requestId = "req-" + UUID.randomUUID();
        try {
            if (req.decoderResult().isFailure()) throw decoderFailure(req.decoderResult().cause());
            checkTransferEncoding(req);
            String given = req.headers().get("X-OpenStack-Request-ID");
            if (given != null) {
                if (given.length() > REQUEST_ID_MAX_CHARS) {
                    throw new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                            "x-openstack-request-id is longer than " + REQUEST_ID_MAX_CHARS + " characters");
                }
                requestId = given.startsWith("req-") ? given : "req-" + given;
            }
            // ';' is no query separator (WebOb and Python's parse_qsl split on '&' only)
            QueryStringDecoder qs = QueryStringDecoder.builder().semicolonIsNormalChar(true).build(req.uri());
            String path = pathNormalizer.apply(qs.rawPath());
            // Authenticated before routing: a caller without credentials learns nothing of which
            // paths and methods exist (the peer port answers such a caller 401, never 404 or 405).
            Identity identity = needsIdentity(path) ? auth.authenticate(req.headers()) : null;
            Router.Match m = router.match(req.method(), path);
            mode = m.route().bodyMode();
            boolean hasBody = hasBody(req);
            if (mode == Route.BodyMode.NONE && hasBody) throw ApiException.badRequest("A body is not expected with this request.");
            if (mode == Route.BodyMode.JSON && HttpUtil.getContentLength(req, -1L) > options.jsonBodyMaxBytes()) {
                throw new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "Request body is larger than " + options.jsonBodyMaxBytes() + " bytes.");
            }
            Map<String, List<String>> params;
            try {
                params = qs.parameters();
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("Malformed query string: " + e.getMessage());
            }
            if (mode == Route.BodyMode.STREAM) {
                stream = new RequestBodyStream(ctx.channel(), options.streamBufferedMaxBytes(), options.bodyIdleTimeoutMillis());
            } else {
                jsonBody = new ByteArrayOutputStream();
            }
            Request r = new Request(req.method(), path, qs.rawQuery(), params, req.headers(), m.params(), null,
                    stream, requestId, identity, baseUrl(req));
            if (mode == Route.BodyMode.STREAM) {
                dispatch(r, m.route().handler());
                stream.start();
            } else {
                pendingRequest = r;
                pendingHandler = m.route().handler();
            }
        } catch (ApiException e) {
            discarding = true;
            boolean closeAfter = hasBody(req) || req.decoderResult().isFailure();
            writeError(e, req.headers().get(HttpHeaderNames.ACCEPT), requestId, closeAfter || !HttpUtil.isKeepAlive(req));
        }
    }

    private void onContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (discarding) {
            if (lingering) {
                lingeredBytes += content.content().readableBytes();
                content.release();
                if (last || lingeredBytes > LINGER_BYTES_MAX) ctx.close();
                return;
            }
            content.release();
            if (last) {
                bodyDone = true;
                if (responded) afterResponse(false);
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            // a broken chunked body: the part before the break must never reach a handler as if it
            // were the whole body (a truncated create, or truncated image data committed as active)
            content.release();
            discarding = true;
            bodyDone = true;
            if (mode == Route.BodyMode.STREAM) {
                stream.fail();
                return;
            }
            writeError(decoderFailure(content.decoderResult().cause()), current.headers().get(HttpHeaderNames.ACCEPT),
                    pendingRequest.requestId(), true);
            return;
        }
        if (mode == Route.BodyMode.STREAM) {
            stream.offer(content.content().retain(), last);
            content.release();
            if (last) bodyDone = true;
            return;
        }
        ByteBuf b = content.content();
        if (jsonBody.size() + b.readableBytes() > options.jsonBodyMaxBytes()) {
            content.release();
            discarding = true;
            writeError(new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "Request body is larger than " + options.jsonBodyMaxBytes() + " bytes."),
                    current.headers().get(HttpHeaderNames.ACCEPT), pendingRequest.requestId(), true);
            return;
        }
        byte[] piece = new byte[b.readableBytes()];
        b.readBytes(piece);
        jsonBody.write(piece, 0, piece.length);
        content.release();
        if (last) {
            bodyDone = true;
            Request r = pendingRequest;
            Request withBody = new Request(r.method(), r.path(), r.rawQuery(), r.query(), r.headers(), r.pathParams(),
                    jsonBody.toByteArray(), null, r.requestId(), r.identity(), r.baseUrl());
            jsonBody = null;
            dispatch(withBody, pendingHandler);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        boolean waitingForHead = current == null;
        boolean receivingBody = current != null && !bodyDone && mode != Route.BodyMode.STREAM;
        if (waitingForHead || receivingBody || (discarding && !bodyDone)) ctx.read();
    }

    private void dispatch(Request r, Route.Handler handler) {
        HttpRequest req = current;
        String accept = req.headers().get(HttpHeaderNames.ACCEPT);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        try {
            workers.execute(() -> run(r, handler, accept, keepAlive));
        } catch (RejectedExecutionException e) {
            discarding = true;
            stats.countRefusedBusy();
            writeError(new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "The server is too busy; retry later."),
                    accept, r.requestId(), true);
        }
    }

    /** Worker thread: runs the handler and writes its response. */
    private void run(Request r, Route.Handler handler, String accept, boolean keepAlive) {
        long start = System.nanoTime();
        Response resp;
        try {
            resp = handler.handle(r);
        } catch (ApiException e) {
            resp = errorResponse(e, accept);
        } catch (Throwable t) {
            LOG.error("request {} {} failed", r.method(), r.path(), t);
            resp = errorResponse(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "The request could not be completed."), accept);
        }
        boolean bodyUnread = r.bodyStream() != null && !((RequestBodyStream) r.bodyStream()).fullyConsumed();
        boolean closeAfter = !keepAlive || bodyUnread;
        if (r.bodyStream() != null) ((RequestBodyStream) r.bodyStream()).close();
        stats.countResponse(resp.status().code());
        boolean sent = send(resp, r.requestId(), closeAfter);
        if (!sent) stats.countBrokenOff();
        if (resp.streamer() == null) stats.timeHandled(System.nanoTime() - start);
        closeAfter |= !sent;
        boolean close = closeAfter;
        ctx.executor().execute(() -> afterResponse(close));
    }

    /** Sends a response; false if a streamed body broke off (the connection must close). */
    private boolean send(Response resp, String requestId, boolean closeAfter) {
        if (resp.streamer() == null) {
            ctx.channel().writeAndFlush(full(resp, requestId, closeAfter));
            return true;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status());
        resp.headers().forEach((k, v) -> head.headers().set(k, v));
        head.headers().set("x-openstack-request-id", requestId);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, resp.streamLengthBytes());
        if (closeAfter) head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().writeAndFlush(head);
        ChannelBodySink s = new ChannelBodySink(ctx.channel(), options.sendStallTimeoutMillis());
        sink = s;
        try {
            resp.streamer().writeTo(s);
            ctx.channel().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("response body of request {} broke off: {}", requestId, e.toString());
            return false;
        } finally {
            sink = null;
        }
    }

    private DefaultFullHttpResponse full(Response resp, String requestId, boolean closeAfter) {
        DefaultFullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status(),
                Unpooled.wrappedBuffer(resp.body()));
        resp.headers().forEach((k, v) -> out.headers().set(k, v));
        out.headers().set("x-openstack-request-id", requestId);
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH, resp.body().length);
        if (closeAfter) out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return out;
    }

    private static Response errorResponse(ApiException e, String accept) {
        ErrorBodies.Rendered r = ErrorBodies.render(e.status(), e.getMessage(), accept);
        Response resp = Response.bytes(e.status(), r.contentType(), r.body());
        for (Map.Entry<String, String> h : e.headers().entrySet()) resp.header(h.getKey(), h.getValue());
        return resp;
    }

    /** Event loop: writes an error decided before any handler ran. */
    private void writeError(ApiException e, String accept, String requestId, boolean closeAfter) {
        stats.countResponse(e.status().code());
        ctx.channel().writeAndFlush(full(errorResponse(e, accept), requestId, closeAfter));
        responded = true;
        afterResponse(closeAfter);
    }

    /** Event loop: the response is out; close, or get ready for the next request. */
    private void afterResponse(boolean close) {
        if (close) {
            releasePipelined();
            if (current != null && !bodyDone) {
                lingeringClose();
                return;
            }
            ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!bodyDone) {
            // error answered before the body ended (keep-alive without a body): wait for its end
            discarding = true;
            ctx.read();
            return;
        }
        reset();
        // feed queued requests on until one is complete (it is dispatched) or the queue is empty:
        // stopping at its head would leave its body in the queue, where nothing ever reads it
        while (!pipelined.isEmpty() && (current == null || !bodyDone)) process(pipelined.poll());
        if (current == null || !bodyDone) ctx.read();
    }

    /**
     * Closes a connection whose request body was not read (an early error, an upload refused with
     * 409 before its data): the answer is sent, our side of the socket is shut down, and the rest of
     * the body is read and dropped for a bounded time and size before the socket closes. Closing at
     * once, with unread bytes in the receive buffer, makes the kernel send a reset that can destroy
     * the answer before the client has read it.
     */
    private void lingeringClose() {
        discarding = true;
        lingering = true;
        io.netty.channel.Channel ch = ctx.channel();
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (ch instanceof io.netty.channel.socket.SocketChannel sc && ch.isActive()) sc.shutdownOutput();
        });
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.config().setAutoRead(true);
    }

    private void reset() {
        current = null;
        bodyDone = false;
        discarding = false;
        responded = false;
        stream = null;
        jsonBody = null;
        pendingRequest = null;
        pendingHandler = null;
    }

    private void releasePipelined() {
        HttpObject o;
        while ((o = pipelined.poll()) != null) ReferenceCountUtil.release(o);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ChannelBodySink s = sink;
        if (s != null) s.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (stream != null) stream.fail();
        ChannelBodySink s = sink;
        if (s != null) s.writabilityChanged();
        releasePipelined();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof IdleStateEvent)) return;
        if (current == null) {
            ctx.close();
        } else if (!bodyDone && !discarding && mode != Route.BodyMode.STREAM) {
            // a JSON body that stopped arriving: answer and free the connection (fault matrix #26)
            discarding = true;
            writeError(new ApiException(HttpResponseStatus.REQUEST_TIMEOUT, "The request body stopped arriving."),
                    current.headers().get(HttpHeaderNames.ACCEPT),
                    pendingRequest == null ? "req-" + UUID.randomUUID() : pendingRequest.requestId(), true);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error", cause);
        if (stream != null) stream.fail();
        ctx.close();
    }

    /**
     * The only transfer coding we decode is chunked (alone): a body in any other coding ("gzip,
     * chunked", "identity") would be taken for what it is not. The decoder already refuses a final
     * coding other than chunked and Content-Length with Transfer-Encoding.
     */
    private static void checkTransferEncoding(HttpRequest req) {
        for (String value : req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
            for (String coding : value.split(",", -1)) {
                if (!coding.trim().equalsIgnoreCase("chunked")) {
                    throw ApiException.badRequest("Transfer-Encoding '" + value + "' is not supported; send chunked or a Content-Length.");
                }
            }
        }
    }

    private static boolean hasBody(HttpRequest req) {
        return HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req);
    }

    private static ApiException decoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers are too large.");
        }
        if (cause instanceof TooLongHttpLineException) {
            return new ApiException(HttpResponseStatus.REQUEST_URI_TOO_LONG, "The request line is too long.");
        }
        if (cause instanceof TooLongFrameException) {
            return new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request is too large.");
        }
        return ApiException.badRequest("Malformed HTTP request: " + cause.getMessage());
    }

    private static String baseUrl(HttpRequest req) {
        String proto = req.headers().get("X-Forwarded-Proto", "http");
        String host = req.headers().get("X-Forwarded-Host", req.headers().get(HttpHeaderNames.HOST, "localhost"));
        return proto + "://" + host;
    }

    /** The Image API, the admin API and the peer transport need credentials; discovery and health do not. */
    private static boolean needsIdentity(String path) {
        return path.startsWith("/v2/") || path.equals("/v2") || path.startsWith("/glint/") || path.startsWith("/peer/");
    }
}
