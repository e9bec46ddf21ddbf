package io.glint.node.image;

/**
 * The body of an upload went past the size limit while streaming ({@code image_size_cap}, or the
 * size the client announced). Thrown as soon as the first byte beyond the limit is read, so a
 * client can not make the node swallow an endless body.
 */
public final class ImageTooLargeException extends Exception {
    private final long limitBytes;

    public ImageTooLargeException(long limitBytes) {
        super("the image data exceeds the limit of " + limitBytes + " bytes");
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }
}
