package io.glint.node.http;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * Where a streaming response writes its bytes; {@link #write} blocks while the client is slow. The
 * sink may send straight from the array after {@code write} returns: callers hand over each array
 * and never change it afterwards.
 */
public interface BodySink {
    void write(byte[] bytes, int offset, int length) throws IOException;

    /**
     * Sends the readable bytes of {@code buffer} and takes ownership of it: the sink releases it
     * once sent, or at once if it fails. A channel sink sends a direct buffer without copying it;
     * this default copies it into an array.
     */
    default void write(ByteBuf buffer) throws IOException {
        try {
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.readBytes(bytes);
            write(bytes, 0, bytes.length);
        } finally {
            buffer.release();
        }
    }
}
