package io.glint.node.http;

import java.io.IOException;

/**
 * Where a streaming response writes its bytes; {@link #write} blocks while the client is slow. The
 * sink may send straight from the array after {@code write} returns: callers hand over each array
 * and never change it afterwards.
 */
public interface BodySink {
    void write(byte[] bytes, int offset, int length) throws IOException;
}
