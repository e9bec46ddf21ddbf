package io.glint.node.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Writes a streamed response body from a worker thread. Each write waits (bounded) until the
 * channel is writable again, so a slow client holds back the reader instead of letting unsent
 * bytes pile up in memory: at most the channel's high-water mark plus one piece is buffered.
 */
final class ChannelBodySink implements BodySink {
    private final Channel channel;
    private final long stallTimeoutMillis;
    private final Object writable = new Object();

    ChannelBodySink(Channel channel, long stallTimeoutMillis) {
        this.channel = channel;
        this.stallTimeoutMillis = stallTimeoutMillis;
    }

    /** Event loop: the channel's writability changed. */
    void writabilityChanged() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) return;
        awaitWritable();
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, offset, length)));
    }

    @Override
    public void write(ByteBuf buffer) throws IOException {
        try {
            if (!buffer.isReadable()) {
                buffer.release();
                return;
            }
            awaitWritable();
        } catch (IOException | RuntimeException e) {
            buffer.release();
            throw e;
        }
        // The channel releases the buffer once written, or when the write fails.
        channel.writeAndFlush(new DefaultHttpContent(buffer));
    }

    /** Waits (bounded) until the channel is writable; throws if the client left or stalled. */
    private void awaitWritable() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stallTimeoutMillis);
        synchronized (writable) {
            while (!channel.isWritable()) {
                if (!channel.isActive()) throw new IOException("the client closed the connection");
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new IOException("the client read nothing for " + stallTimeoutMillis + " ms");
                try {
                    TimeUnit.NANOSECONDS.timedWait(writable, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while sending", e);
                }
            }
        }
        if (!channel.isActive()) throw new IOException("the client closed the connection");
    }
}
