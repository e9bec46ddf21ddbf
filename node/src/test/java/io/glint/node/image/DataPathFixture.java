package io.glint.node.image;

import io.glint.node.chunk.FaultyChunkStore;
import io.glint.node.http.BodySink;
import io.glint.registry.DirectRegistry;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadLease;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.Query;
import io.glint.registry.store.InMemoryStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node's data path over real files: a chunk store (with its fault site) in a temp volume, an
 * image writer on a small pool, a {@link DirectRegistry} over the in-memory store, and the upload
 * and download services, with a clock the test moves.
 */
final class DataPathFixture implements AutoCloseable {
    static final Identity ALICE = Identity.member("alice");
    static final Identity BOB = Identity.member("bob");
    static final Identity ADMIN = new Identity("admin-project", "admin-user", List.of("admin", "member", "reader"));
    static final int CHUNK_BYTES = 64 * 1024;

    final Path volume;
    final FaultyChunkStore store;
    final ExecutorService workers = Executors.newFixedThreadPool(3);
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final DirectRegistry direct = new DirectRegistry(new InMemoryStore());
    final MutableClock clock = new MutableClock(1_700_000_000_000L);
    final ImageWriter writer;
    final UploadService uploads;
    final DownloadService downloads;

    DataPathFixture(Path volume) throws IOException {
        this(volume, ImageWriter.Config.defaults().withChunkSizeBytes(CHUNK_BYTES), UploadService.Config.defaults(), null);
    }

    /** @param registry the registry the services use (a faulty wrapper of {@link #direct}), or null */
    DataPathFixture(Path volume, ImageWriter.Config writerConfig, UploadService.Config uploadConfig,
                    RegistryClient registry) throws IOException {
        this.volume = volume;
        this.store = new FaultyChunkStore(volume);
        RegistryClient used = registry == null ? direct : registry;
        this.writer = new ImageWriter(store, workers, writerConfig);
        this.uploads = new UploadService(used, writer, scheduler, clock, "node-1", uploadConfig);
        this.downloads = new DownloadService(used, store, 10_000);
    }

    /** A new queued image of {@code owner}'s project, raw/bare, ready for data. */
    String createImage(Identity owner) {
        return createImage(owner, Visibility.PRIVATE, "bare", "raw");
    }

    String createImage(Identity actor, Visibility visibility, String containerFormat, String diskFormat) {
        String id = UUID.randomUUID().toString();
        Result r = direct.propose(new Command.CreateImage(actor, clock.millis(), id, "img", visibility, false, false,
                actor.projectId(), 0, 0, containerFormat, diskFormat, List.of(), Map.of())).join();
        assertTrue(r.isOk(), r::toString);
        return id;
    }

    Image image(String id) {
        return direct.readLocal(new Query.GetImageRecord(id)).value(Image.class);
    }

    Result lease(String id) {
        return direct.readLocal(new Query.GetUpload(id));
    }

    Result manifestResult(String id) {
        return direct.readLocal(new Query.GetManifest(id));
    }

    ChunkManifest manifest(String id) {
        return manifestResult(id).value(ChunkManifest.class);
    }

    long leaseExpiresAtMillis(String id) {
        return lease(id).value(UploadLease.class).expiresAtMillis();
    }

    /** The whole image (range null) or a range of it, streamed the way the HTTP layer does. */
    byte[] download(String id, ByteRange range) throws DataPathException, IOException {
        DownloadService.Download d = downloads.open(id, range);
        CollectingSink sink = new CollectingSink();
        d.streamer().writeTo(sink);
        byte[] got = sink.bytes();
        if (got.length != d.lengthBytes()) throw new AssertionError("streamed " + got.length + " of " + d.lengthBytes());
        return got;
    }

    List<Path> chunkFiles() throws IOException {
        return files(volume.resolve("chunks"));
    }

    List<Path> tmpFiles() throws IOException {
        return files(volume.resolve("tmp"));
    }

    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    /** Polls {@code condition} every few milliseconds for up to 10 s. */
    static void await(String what, BooleanSupplier condition) {
        io.glint.node.Poll.until(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(2), condition, () -> what);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        workers.shutdownNow();
        direct.close();
    }

    /** A sink that keeps what was written, like a client reading the response. */
    static final class CollectingSink implements BodySink {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void write(byte[] bytes, int offset, int length) {
            out.write(bytes, offset, length);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        /** Forgets what was written. */
        void reset() {
            out.reset();
        }
    }
}
