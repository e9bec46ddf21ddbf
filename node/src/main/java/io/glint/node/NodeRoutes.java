package io.glint.node;

import io.glint.node.api.ApiSettings;
import io.glint.node.api.DiscoveryApi;
import io.glint.node.api.ImagesApi;
import io.glint.node.http.Router;
import io.glint.registry.RegistryClient;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Clock;

/** Every route a node serves, in one place. */
public final class NodeRoutes {
    private NodeRoutes() {}

    public static Router build(RegistryClient registry, ApiSettings settings, Clock clock) {
        Router r = new Router();
        new DiscoveryApi(settings).register(r);
        new ImagesApi(registry, settings, clock).register(r);
        r.fallback(DiscoveryApi::isUnknownVersionPath,
                req -> DiscoveryApi.versionsDocument(req, HttpResponseStatus.MULTIPLE_CHOICES));
        return r;
    }
}
