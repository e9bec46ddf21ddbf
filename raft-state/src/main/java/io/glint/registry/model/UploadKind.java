package io.glint.registry.model;

/** What an upload lease is for: it decides the status the image moves to while it runs. */
public enum UploadKind {
    /** {@code PUT /file}: queued -> saving. */
    UPLOAD(ImageStatus.SAVING),
    /** {@code PUT /stage}: queued -> uploading. */
    STAGE(ImageStatus.UPLOADING),
    /** {@code POST /import}: queued or uploading -> importing. */
    IMPORT(ImageStatus.IMPORTING);

    private final ImageStatus during;

    UploadKind(ImageStatus during) {
        this.during = during;
    }

    public ImageStatus statusDuring() {
        return during;
    }
}
