package io.glint.registry.model;

import java.util.List;

/**
 * One page of a list query. {@code full} is true when the page holds as many rows as the
 * effective limit (and at least one): the API then emits a {@code next} link with the id of the
 * last row as marker (spec §4.3).
 */
public record ImagePage(List<Image> images, boolean full) implements Payload {
    public ImagePage {
        images = List.copyOf(images);
    }
}
