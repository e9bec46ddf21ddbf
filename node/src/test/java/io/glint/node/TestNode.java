package io.glint.node;

import io.glint.node.api.ApiSettings;
import io.glint.node.api.ImageDataApi;
import io.glint.node.auth.NoAuthAuthenticator;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.http.HttpOptions;
import io.glint.node.http.HttpServer;
import io.glint.node.http.Router;
import io.glint.node.image.DownloadService;
import io.glint.node.image.ImageWriter;
import io.glint.node.image.UploadService;
import io.glint.registry.DirectRegistry;
import io.glint.registry.RegistryClient;
import io.glint.registry.store.InMemoryStore;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A node's HTTP front end on an ephemeral 127.0.0.1 port over a single-process registry, for API
 * tests that are not about replication.
 */
public final class TestNode implements AutoCloseable {
    public static final String DEFAULT_PROJECT = "admin-project";

    public final RegistryClient registry;
    public final HttpServer server;
    /** The registry's store, for tests that inspect the tables directly. */
    public final InMemoryStore store;
    /** Executors of the data path (empty without one), shut down by {@link #close}. */
    private final List<ExecutorService> dataExecutors = new ArrayList<>();

    public TestNode() throws InterruptedException {
        this(ApiSettings.defaults());
    }

    public TestNode(ApiSettings settings) throws InterruptedException {
        this(settings, null);
    }

    /**
     * A node that also serves the data routes (upload, download, stage, import, as GlintNode wires
     * them) over a chunk store in {@code chunkVolume}.
     */
    public static TestNode withDataPath(ApiSettings settings, Path chunkVolume) throws InterruptedException, IOException {
        return withDataPath(settings, chunkVolume, ImageWriter.Config.defaults());
    }

    /** {@link #withDataPath(ApiSettings, Path)} with a chosen writer configuration (e.g. a small size cap). */
    public static TestNode withDataPath(ApiSettings settings, Path chunkVolume, ImageWriter.Config writerConfig)
            throws InterruptedException, IOException {
        return new TestNode(settings, new ChunkStore(chunkVolume), writerConfig);
    }

    private TestNode(ApiSettings settings, ChunkStore chunks) throws InterruptedException {
        this(settings, chunks, ImageWriter.Config.defaults());
    }

    private TestNode(ApiSettings settings, ChunkStore chunks, ImageWriter.Config writerConfig) throws InterruptedException {
        store = new InMemoryStore();
        registry = new DirectRegistry(store);
        Clock clock = Clock.systemUTC();
        Router router = NodeRoutes.build(registry, settings, clock);
        if (chunks != null) {
            ExecutorService writers = Executors.newFixedThreadPool(2);
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            ExecutorService imports = Executors.newFixedThreadPool(1);
            dataExecutors.addAll(List.of(writers, scheduler, imports));
            ImageWriter writer = new ImageWriter(chunks, writers, writerConfig);
            UploadService uploads = new UploadService(registry, writer, scheduler, clock, "test-node",
                    UploadService.Config.defaults());
            DownloadService downloads = new DownloadService(registry, chunks, 10_000);
            new ImageDataApi(registry, uploads, downloads, settings, clock, imports, "test-node").register(router);
        }
        server = new HttpServer(HttpOptions.defaults("127.0.0.1", 0), router,
                new NoAuthAuthenticator(DEFAULT_PROJECT), io.glint.node.api.DiscoveryApi::normalize);
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.close();
        dataExecutors.forEach(ExecutorService::shutdownNow);
        registry.close();
    }
}
