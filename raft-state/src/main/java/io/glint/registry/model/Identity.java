package io.glint.registry.model;

import java.util.List;
import java.util.Locale;

/**
 * The acting identity of a request, as established at the API edge (spec §5.1). It travels
 * inside every command and query so that policy is decided from the log, not from the node
 * that happened to receive the request.
 *
 * @param projectId the caller's project, or null (noauth / anonymous)
 * @param userId    the caller's user, or null
 * @param roles     role names, lower-cased and sorted
 */
public record Identity(String projectId, String userId, List<String> roles) {

    public Identity {
        roles = roles == null ? List.of()
                : roles.stream().map(r -> r.toLowerCase(Locale.ROOT)).distinct().sorted().toList();
    }

    /** The noauth context of spec §5.1: admin, no project. */
    public static final Identity NOAUTH_ADMIN = new Identity(null, null, List.of("admin"));

    /** A background service of the cluster itself (reaper, lease expiry): acts as admin. */
    public static final Identity SYSTEM = new Identity(null, "glint-system", List.of("admin"));

    public static Identity member(String projectId) {
        return new Identity(projectId, "user-" + projectId, List.of("member", "reader"));
    }

    public boolean isAdmin() {
        return roles.contains("admin");
    }
}
