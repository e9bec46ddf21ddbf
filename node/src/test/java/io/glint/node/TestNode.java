package io.glint.node;

import io.glint.node.api.ApiSettings;
import io.glint.node.auth.NoAuthAuthenticator;
import io.glint.node.http.HttpOptions;
import io.glint.node.http.HttpServer;
import io.glint.registry.DirectRegistry;
import io.glint.registry.RegistryClient;
import io.glint.registry.store.InMemoryStore;

import java.time.Clock;

/**
 * A node's HTTP front end on an ephemeral 127.0.0.1 port over a single-process registry, for API
 * tests that are not about replication.
 */
public final class TestNode implements AutoCloseable {
    public static final String DEFAULT_PROJECT = "admin-project";

    public final RegistryClient registry;
    public final HttpServer server;

    public TestNode() throws InterruptedException {
        this(ApiSettings.defaults());
    }

    public TestNode(ApiSettings settings) throws InterruptedException {
        registry = new DirectRegistry(new InMemoryStore());
        server = new HttpServer(HttpOptions.defaults("127.0.0.1", 0),
                NodeRoutes.build(registry, settings, Clock.systemUTC()),
                new NoAuthAuthenticator(DEFAULT_PROJECT), io.glint.node.api.DiscoveryApi::normalize);
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.close();
        registry.close();
    }

    public static void main(String[] args) throws Exception {
        TestNode n = new TestNode();
        System.out.println(n.url());
        Thread.sleep(Long.parseLong(args.length > 0 ? args[0] : "60000"));
        n.close();
    }
}
