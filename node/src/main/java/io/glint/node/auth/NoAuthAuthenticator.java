package io.glint.node.auth;

import io.glint.registry.model.Identity;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Arrays;
import java.util.List;

/**
 * {@code auth.mode: noauth} (DESIGN §8): any {@code X-Auth-Token} is accepted and ignored. A request
 * acts as an admin of a fixed default project unless {@code X-Project-Id} / {@code X-User-Id} /
 * {@code X-Roles} say otherwise — a development and test mode, never for untrusted networks.
 */
public final class NoAuthAuthenticator implements Authenticator {
    private final String defaultProjectId;

    public NoAuthAuthenticator(String defaultProjectId) {
        this.defaultProjectId = defaultProjectId;
    }

    @Override
    public Identity authenticate(HttpHeaders headers) {
        String project = headers.get("X-Project-Id", headers.get("X-Tenant-Id"));
        String user = headers.get("X-User-Id", headers.get("X-User"));
        String roles = headers.get("X-Roles");
        if (project == null && user == null && roles == null) {
            return new Identity(defaultProjectId, "admin", List.of("admin", "member", "reader"));
        }
        List<String> roleList = roles == null ? List.of("member", "reader")
                : Arrays.stream(roles.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new Identity(project == null || project.isBlank() ? null : project.trim(), user, roleList);
    }
}
