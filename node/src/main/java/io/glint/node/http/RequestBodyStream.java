package io.glint.node.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A streamed request body: the event loop offers the body's pieces, a worker thread reads them as
 * an InputStream. Flow control keeps memory bounded: the channel reads only while fewer than
 * {@code bufferedMaxBytes} are waiting, so a slow consumer slows the client's socket instead of
 * filling the heap. A reader that waits longer than the idle bound, or a client that goes away
 * before the last piece, ends the stream with an IOException.
 */
final class RequestBodyStream extends InputStream {
    private final Channel channel;
    private final long bufferedMaxBytes;
    private final long idleTimeoutMillis;
    private final ArrayDeque<ByteBuf> pieces = new ArrayDeque<>();
    private long bufferedBytes;
    private boolean ended;
    private boolean failed;
    private boolean readRequested;
    private ByteBuf current;

    RequestBodyStream(Channel channel, long bufferedMaxBytes, long idleTimeoutMillis) {
        this.channel = channel;
        this.bufferedMaxBytes = bufferedMaxBytes;
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    /** Event loop: a piece of the body arrived (ownership passes to this stream). */
    synchronized void offer(ByteBuf piece, boolean last) {
        if (failed) {
            piece.release();
            return;
        }
        if (piece.isReadable()) {
            pieces.add(piece);
            bufferedBytes += piece.readableBytes();
        } else {
            piece.release();
        }
        if (last) ended = true;
        readRequested = false;
        notifyAll();
        requestMoreIfRoom();
    }

    /** Event loop: the connection closed or broke before the body ended. */
    synchronized void fail() {
        if (!ended) failed = true;
        notifyAll();
    }

    /** Starts the flow: asks the channel for the first piece. */
    synchronized void start() {
        requestMoreIfRoom();
    }

    private void requestMoreIfRoom() {
        if (!ended && !failed && !readRequested && bufferedBytes < bufferedMaxBytes) {
            readRequested = true;
            channel.eventLoop().execute(channel::read);
        }
    }

    /** True when every byte of the body has arrived and been read. */
    synchronized boolean fullyConsumed() {
        return ended && pieces.isEmpty() && (current == null || !current.isReadable());
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current == null || !current.isReadable()) {
            if (current != null) {
                current.release();
                current = null;
            }
            ByteBuf next = pieces.poll();
            if (next != null) {
                bufferedBytes -= next.readableBytes();
                current = next;
                requestMoreIfRoom();
                continue;
            }
            if (ended) return -1;
            if (failed) throw new IOException("the client closed the connection before the body ended");
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
            while (pieces.isEmpty() && !ended && !failed) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0) {
                    failed = true;
                    throw new IOException("no body data for " + idleTimeoutMillis + " ms");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading the body", e);
                }
            }
        }
        int n = Math.min(len, current.readableBytes());
        current.readBytes(b, off, n);
        return n;
    }

    @Override
    public synchronized void close() {
        if (current != null) {
            current.release();
            current = null;
        }
        ByteBuf p;
        while ((p = pieces.poll()) != null) p.release();
        bufferedBytes = 0;
    }
}
