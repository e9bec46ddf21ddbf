package io.glint.node.image;

import java.io.IOException;

/**
 * Reading the client's request body failed (the client disconnected or stalled). Kept apart from
 * chunk store errors so that the upload can tell "the client went away" from "the disk failed".
 */
public final class BodyReadException extends IOException {
    public BodyReadException(IOException cause) {
        super("reading the request body failed: " + cause.getMessage(), cause);
    }
}
