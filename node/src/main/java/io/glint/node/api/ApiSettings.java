package io.glint.node.api;

import java.util.List;

/**
 * The API behaviour an operator configures (spec §9): import methods offered, delayed delete,
 * the web-download host allowlist (empty = web-download denied).
 */
public record ApiSettings(List<String> importMethods, boolean delayedDelete, List<String> webDownloadAllowedHosts) {
    public static ApiSettings defaults() {
        return new ApiSettings(List.of("glance-direct", "web-download", "copy-image"), false, List.of());
    }
}
