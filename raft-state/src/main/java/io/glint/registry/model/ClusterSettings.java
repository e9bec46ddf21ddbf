package io.glint.registry.model;

/**
 * Settings that every member must apply identically, so they live in the registry rather than
 * in each node's config: the placement-group count and the static limits of spec §7.2 that the
 * state machine enforces.
 */
public record ClusterSettings(int placementGroups, int imagePropertyQuota, int imageTagQuota,
                              int imageMemberQuota) implements Payload {

    public static final ClusterSettings DEFAULTS = new ClusterSettings(512, 128, 128, 128);

    public ClusterSettings {
        if (placementGroups < 1 || placementGroups > 65536) {
            throw new IllegalArgumentException("placementGroups out of range 1..65536: " + placementGroups);
        }
    }
}
