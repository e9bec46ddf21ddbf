package io.glint.registry.query;

import io.glint.registry.model.Result;
import io.glint.registry.store.KeyValueView;

/** Answers {@code GET /v2/images} from the secondary indexes (spec §4.3). */
public final class ImageLister {
    private ImageLister() {}

    /** An {@link io.glint.registry.model.ImagePage}, or INVALID for an unknown or invisible marker. */
    public static Result list(KeyValueView view, ListImagesRequest request) {
        return Result.invalid("list is not available yet");
    }
}
