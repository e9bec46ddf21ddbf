package io.glint.node.auth;

import io.glint.registry.model.Identity;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Turns a request's credentials into the identity it acts as (spec §5.1). Pluggable: {@code noauth}
 * today, Keystone token validation later. Throws an ApiException with 401 for bad credentials.
 */
public interface Authenticator {
    Identity authenticate(HttpHeaders headers);
}
