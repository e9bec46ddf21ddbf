package io.glint.node.chunk;

import java.io.IOException;

/**
 * The volume has no room for a chunk (ENOSPC or a disk quota). An operating error, not a bug: the
 * upload that hit it fails with 413 (spec §4.6) and the partial temporary file is already gone.
 */
public final class StoreFullException extends IOException {
    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
