package io.glint.node.http;

import java.io.IOException;

/** Where a streaming response writes its bytes; {@link #write} blocks while the client is slow. */
public interface BodySink {
    void write(byte[] bytes, int offset, int length) throws IOException;
}
