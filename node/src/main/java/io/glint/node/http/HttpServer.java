package io.glint.node.http;

import io.glint.node.auth.Authenticator;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The HTTP/1.1 front end (DESIGN §8): Netty (NIO transport: the native epoll jar of Netty 4.2.20 is not
 * on Maven Central for linux-x86_64), keep-alive, bounded headers
 * and JSON bodies, streamed image bodies, and handlers run on a bounded worker pool so that no Raft
 * round-trip or disk access ever blocks an event loop. {@link #close} stops accepting, lets requests
 * in flight finish within the grace period, then closes the rest.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    private final HttpOptions options;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ThreadPoolExecutor workers;
    private final Channel serverChannel;
    private final HttpStats stats = new HttpStats();

    public HttpServer(HttpOptions options, Router router, Authenticator auth, UnaryOperator<String> pathNormalizer)
            throws InterruptedException {
        this.options = options;
        IoHandlerFactory factory = NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, factory);
        this.io = new MultiThreadIoEventLoopGroup(options.ioThreads(), factory);
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(options.workerThreads(), options.workerThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(options.workerQueueMax()), r -> {
                    Thread t = new Thread(r, "http-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(options.maxInitialLineBytes())
                .setMaxHeaderSize(options.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                // request smuggling (fault matrix #29): Content-Length with Transfer-Encoding, a final
                // coding other than chunked, bare-LF line ends and sloppy chunk framing are 400s
                .setUseRfc9112TransferEncoding(true)
                .setStrictLineParsing(true);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, io)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0,
                                        options.idleConnectionTimeoutMillis(), TimeUnit.MILLISECONDS))
                                .addLast("codec", new HttpServerCodec(decoder))
                                .addLast("continue", new HttpServerExpectContinueHandler())
                                .addLast("dispatch", new HttpDispatcher(options, router, auth, pathNormalizer, workers, stats));
                    }
                });
        this.serverChannel = b.bind(new InetSocketAddress(options.bindHost(), options.port())).sync().channel();
        LOG.info("HTTP listening on {}", serverChannel.localAddress());
    }

    /** What this server has answered so far. */
    public HttpStats stats() {
        return stats;
    }

    /** Requests being handled now. */
    public int workersBusy() {
        return workers.getActiveCount();
    }

    /** Requests waiting for a worker. */
    public int workersQueued() {
        return workers.getQueue().size();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(options.shutdownGraceMillis(), TimeUnit.MILLISECONDS)) workers.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
