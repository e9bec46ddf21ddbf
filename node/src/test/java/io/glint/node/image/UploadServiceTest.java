package io.glint.node.image;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.FaultyChunkStore;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.Query;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.glint.node.image.DataPathFixture.ADMIN;
import static io.glint.node.image.DataPathFixture.ALICE;
import static io.glint.node.image.DataPathFixture.BOB;
import static io.glint.node.image.DataPathFixture.CHUNK_BYTES;
import static io.glint.node.image.TestStreams.hex;
import static io.glint.node.image.TestStreams.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UploadServiceTest {
    private static final int C = CHUNK_BYTES;

    @TempDir
    Path volume;
    DataPathFixture f;

    @BeforeEach
    void open() throws IOException {
        f = new DataPathFixture(volume);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private Image upload(String id, byte[] data, Long expected) throws DataPathException {
        return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, new ByteArrayInputStream(data), expected);
    }

    /** The image is queued again, with no size, no lease and no manifest (spec §3.3). */
    private void assertRequeued(String id) {
        Image image = f.image(id);
        assertEquals(ImageStatus.QUEUED, image.status());
        assertNull(image.size());
        assertNull(image.checksum());
        assertEquals(Result.Code.NOT_FOUND, f.lease(id).code());
        assertEquals(Result.Code.NOT_FOUND, f.manifestResult(id).code());
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, C - 1, C, C + 1, 5 * C + 123})
    void uploadThenDownloadIsByteIdenticalWithGlanceHashes(int sizeBytes) throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(sizeBytes, sizeBytes);
        Image active = upload(id, data, (long) sizeBytes);

        assertEquals(ImageStatus.ACTIVE, active.status());
        assertEquals(sizeBytes, active.size());
        assertEquals(hex("MD5", data), active.checksum());
        assertEquals("sha512", active.osHashAlgo());
        assertEquals(hex("SHA-512", data), active.osHashValue());
        assertEquals(active, f.image(id));
        assertEquals(Result.Code.NOT_FOUND, f.lease(id).code());

        ChunkManifest m = f.manifest(id);
        assertEquals((sizeBytes + C - 1) / C, m.chunks().size());
        for (ChunkInfo c : m.chunks()) assertTrue(f.store.has(c.id()));
        assertArrayEquals(data, f.download(id, null));
    }

    @Test
    void anEmptyBodyIsAValidZeroByteImage() throws Exception {
        String id = f.createImage(ALICE);
        Image active = upload(id, new byte[0], null);
        assertEquals(0L, active.size());
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", active.checksum());
        assertEquals(hex("SHA-512", new byte[0]), active.osHashValue());
        assertEquals(List.of(), f.manifest(id).chunks());
        assertEquals(0, f.download(id, null).length);
        assertEquals(List.of(), f.chunkFiles());
    }

    @Test
    void twoImagesWithTheSameContentShareChunkFiles() throws Exception {
        byte[] data = randomBytes(3 * C + 7, 42);
        String first = f.createImage(ALICE);
        String second = f.createImage(BOB);
        upload(first, data, null);
        f.uploads.upload(BOB, second, UploadKind.UPLOAD, new ByteArrayInputStream(data), null);

        assertEquals(f.manifest(first).chunks(), f.manifest(second).chunks());
        assertEquals(4, f.chunkFiles().size());
        assertEquals(4, f.store.chunksWritten());
        assertEquals(4, f.store.dedupHits());
        assertArrayEquals(data, f.download(second, null));
    }

    @Test
    void stagingKeepsTheImageUploadingWithItsSize() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(2 * C + 1, 7);
        Image staged = f.uploads.upload(ALICE, id, UploadKind.STAGE, new ByteArrayInputStream(data), null);
        assertEquals(ImageStatus.UPLOADING, staged.status());
        assertEquals(data.length, staged.size());
        assertEquals(data.length, f.manifest(id).sizeBytes());
    }

    @Test
    void aClientThatDisconnectsLeavesTheImageQueuedAndARetrySucceeds() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(4 * C, 8);
        DataPathException e = assertThrows(DataPathException.class, () -> f.uploads.upload(ALICE, id,
                UploadKind.UPLOAD, TestStreams.disconnectingAfter(data, 2 * C + C / 2), null));
        assertEquals(400, e.status());
        assertRequeued(id);
        assertEquals(List.of(), f.tmpFiles());

        Image active = upload(id, data, (long) data.length);
        assertEquals(ImageStatus.ACTIVE, active.status());
        assertArrayEquals(data, f.download(id, null));
    }

    @Test
    void aBodyLongerThanAnnouncedIs400AndIsCutOffAtTheAnnouncedSize() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(10 * C, 9);
        long announced = 3L * C + 5;
        TestStreams.Counting body = new TestStreams.Counting(new ByteArrayInputStream(data));
        DataPathException e = assertThrows(DataPathException.class,
                () -> f.uploads.upload(ALICE, id, UploadKind.UPLOAD, body, announced));
        assertEquals(400, e.status());
        assertTrue(body.consumedBytes.get() <= announced + 1, () -> "read " + body.consumedBytes.get());
        assertRequeued(id);
    }

    @Test
    void aBodyShorterThanAnnouncedIs400() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(2 * C, 10);
        DataPathException e = assertThrows(DataPathException.class, () -> upload(id, data, data.length + 1L));
        assertEquals(400, e.status());
        assertRequeued(id);
    }

    @Test
    void anAnnouncedSizeAboveTheCapIs413BeforeAnyByteIsRead() throws Exception {
        String id = f.createImage(ALICE);
        TestStreams.Counting body = new TestStreams.Counting(new ByteArrayInputStream(new byte[10]));
        DataPathException e = assertThrows(DataPathException.class, () -> f.uploads.upload(ALICE, id,
                UploadKind.UPLOAD, body, ImageWriter.IMAGE_SIZE_CAP_DEFAULT_BYTES + 1));
        assertEquals(413, e.status());
        assertEquals(0, body.consumedBytes.get());
        assertRequeued(id);
    }

    @Test
    void theSizeCapIs413WhileStreaming() throws Exception {
        f.close();
        long capBytes = 5L * C + 3;
        f = new DataPathFixture(volume.resolve("capped"),
                ImageWriter.Config.defaults().withChunkSizeBytes(C).withImageSizeCapBytes(capBytes),
                UploadService.Config.defaults(), null);
        String id = f.createImage(ALICE);
        TestStreams.Generated body = new TestStreams.Generated(1L << 40);
        DataPathException e = assertThrows(DataPathException.class,
                () -> f.uploads.upload(ALICE, id, UploadKind.UPLOAD, body, null));
        assertEquals(413, e.status());
        assertEquals(capBytes + 1, body.consumedBytes());
        assertRequeued(id);

        // Exactly at the cap is still accepted.
        String exact = f.createImage(ALICE);
        Image active = f.uploads.upload(ALICE, exact, UploadKind.UPLOAD, new TestStreams.Generated(capBytes), null);
        assertEquals(capBytes, active.size());
    }

    @Test
    void aFullStoreIs413AndLeavesNoPartialChunk() throws Exception {
        String id = f.createImage(ALICE);
        f.store.arm(FaultyChunkStore.diskFullAfter(2));
        byte[] data = randomBytes(8 * C, 11);
        DataPathException e = assertThrows(DataPathException.class, () -> upload(id, data, null));
        assertEquals(413, e.status());
        assertRequeued(id);
        assertEquals(List.of(), f.tmpFiles());
        // Whatever did reach chunks/ is whole: every file's name is the SHA-256 of its content.
        for (Path p : f.chunkFiles()) {
            byte[] content = Files.readAllBytes(p);
            assertEquals(p.getFileName().toString(), ChunkIds.describe(content, 0, content.length).id());
        }
        assertTrue(f.chunkFiles().size() <= 2);

        f.store.arm(null);
        assertEquals(ImageStatus.ACTIVE, upload(id, data, null).status());
        assertArrayEquals(data, f.download(id, null));
    }

    @Test
    void aSecondConcurrentUploadOfTheSameImageIs409() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(3 * C, 12);
        TestStreams.Gated gated = new TestStreams.Gated(data, C);
        CompletableFuture<Image> first = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, gated, null);
            } catch (DataPathException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(gated.prefixServed.await(10, TimeUnit.SECONDS));
        assertEquals(ImageStatus.SAVING, f.image(id).status());

        DataPathException e = assertThrows(DataPathException.class, () -> upload(id, randomBytes(10, 1), null));
        assertEquals(409, e.status());

        gated.release();
        assertEquals(ImageStatus.ACTIVE, first.get(10, TimeUnit.SECONDS).status());
        assertArrayEquals(data, f.download(id, null));
    }

    @Test
    void anImageDeletedDuringTheUploadIs410AndStaysDeleted() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(3 * C, 13);
        TestStreams.Gated gated = new TestStreams.Gated(data, C);
        CompletableFuture<Image> upload = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, gated, null);
            } catch (DataPathException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(gated.prefixServed.await(10, TimeUnit.SECONDS));
        assertTrue(f.direct.propose(new Command.DeleteImage(ALICE, f.clock.millis(), id, false)).join().isOk());
        gated.release();

        Throwable thrown = assertThrows(Exception.class, () -> upload.get(10, TimeUnit.SECONDS)).getCause().getCause();
        assertEquals(410, ((DataPathException) thrown).status());
        assertEquals(ImageStatus.DELETED, f.image(id).status());
        assertEquals(Result.Code.NOT_FOUND, f.manifestResult(id).code());
    }

    @Test
    void theLeaseIsRenewedWhileTheBodyStreams() throws Exception {
        f.close();
        f = new DataPathFixture(volume.resolve("renew"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                new UploadService.Config(60_000, 10, 3_600_000, 10_000), null);
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(2 * C, 14);
        TestStreams.Gated gated = new TestStreams.Gated(data, C);
        CompletableFuture<Image> upload = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, gated, null);
            } catch (DataPathException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(gated.prefixServed.await(10, TimeUnit.SECONDS));
        long firstExpiry = f.leaseExpiresAtMillis(id);
        f.clock.advanceMillis(45_000);
        long wanted = f.clock.millis() + 60_000;
        DataPathFixture.await("the lease to be renewed", () -> f.leaseExpiresAtMillis(id) >= wanted);
        assertTrue(f.leaseExpiresAtMillis(id) > firstExpiry);

        gated.release();
        assertEquals(ImageStatus.ACTIVE, upload.get(10, TimeUnit.SECONDS).status());
    }

    @Test
    void aRenewalThatFindsTheImageDeletedStopsTheBodyEarly() throws Exception {
        f.close();
        f = new DataPathFixture(volume.resolve("stop"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                new UploadService.Config(60_000, 10, 3_600_000, 10_000), null);
        String id = f.createImage(ALICE);
        TestStreams.Trickle body = new TestStreams.Trickle(1L << 30);
        CompletableFuture<Image> upload = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, body, null);
            } catch (DataPathException e) {
                throw new RuntimeException(e);
            }
        });
        DataPathFixture.await("the upload to start", () -> body.consumedBytes.get() > 0);
        assertTrue(f.direct.propose(new Command.DeleteImage(ALICE, f.clock.millis(), id, false)).join().isOk());

        Throwable thrown = assertThrows(Exception.class, () -> upload.get(10, TimeUnit.SECONDS)).getCause().getCause();
        assertEquals(410, ((DataPathException) thrown).status());
        assertTrue(body.consumedBytes.get() < (1L << 30));
    }

    @Test
    void anUploadThatOutlivesItsMaximumDurationIs408AndRequeued() throws Exception {
        f.close();
        f = new DataPathFixture(volume.resolve("long"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                new UploadService.Config(60_000, 10, 3_600_000, 10_000), null);
        String id = f.createImage(ALICE);
        TestStreams.Trickle body = new TestStreams.Trickle(1L << 30);
        CompletableFuture<Image> upload = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.upload(ALICE, id, UploadKind.UPLOAD, body, null);
            } catch (DataPathException e) {
                throw new RuntimeException(e);
            }
        });
        DataPathFixture.await("the upload to start", () -> body.consumedBytes.get() > 0);
        f.clock.advanceMillis(3_600_001);

        Throwable thrown = assertThrows(Exception.class, () -> upload.get(10, TimeUnit.SECONDS)).getCause().getCause();
        assertEquals(408, ((DataPathException) thrown).status());
        assertRequeued(id);
    }

    /**
     * A body that ends just after the maximum duration is not committed: past it, the orphan
     * reaper's grace no longer covers the upload's chunks.
     */
    @Test
    void anUploadThatEndsAfterItsMaximumDurationIsNotCommitted() throws Exception {
        f.close();
        f = new DataPathFixture(volume.resolve("late"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                UploadService.Config.of(60_000, 3_600_000), null);
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(2 * C + 5, 16);
        InputStream lateEnd = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                int n = super.read(b, off, len);
                if (n < 0) f.clock.advanceMillis(3_600_001); // the last read returns after the limit
                return n;
            }
        };
        DataPathException e = assertThrows(DataPathException.class,
                () -> f.uploads.upload(ALICE, id, UploadKind.UPLOAD, lateEnd, null));
        assertEquals(408, e.status());
        assertTrue(e.getMessage().contains("upload.maxDurationSeconds"), e.getMessage());
        assertRequeued(id);
    }

    /** An import's data stream renews the lease its task holds, like an upload. */
    @Test
    void writeDataRenewsTheImportLease() throws Exception {
        f.close();
        f = new DataPathFixture(volume.resolve("import"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                new UploadService.Config(60_000, 10, 3_600_000, 10_000), null);
        String id = f.createImage(ALICE);
        long now = f.clock.millis();
        assertTrue(f.direct.propose(new Command.BeginUpload(ALICE, now, id, UploadKind.IMPORT, "import-lease", "node-1",
                now + 60_000)).join().isOk());
        byte[] data = randomBytes(2 * C, 17);
        TestStreams.Gated gated = new TestStreams.Gated(data, C);
        CompletableFuture<ChunkManifest> write = CompletableFuture.supplyAsync(() -> {
            try {
                return f.uploads.writeData(id, "import-lease", gated);
            } catch (DataPathException ex) {
                throw new RuntimeException(ex);
            }
        });
        assertTrue(gated.prefixServed.await(10, TimeUnit.SECONDS));
        f.clock.advanceMillis(45_000);
        long wanted = f.clock.millis() + 60_000;
        DataPathFixture.await("the import lease to be renewed", () -> f.leaseExpiresAtMillis(id) >= wanted);
        gated.release();
        assertEquals(2L * C, write.get(10, TimeUnit.SECONDS).sizeBytes());
    }

    @Test
    void registryRejectionsMapToTheirStatuses() throws Exception {
        byte[] data = randomBytes(10, 15);
        // Unknown image.
        assertEquals(404, assertThrows(DataPathException.class,
                () -> upload("00000000-0000-0000-0000-000000000001", data, null)).status());
        // Visible to Bob but not his: 403.
        String publicImage = f.createImage(ADMIN, Visibility.PUBLIC, "bare", "raw");
        assertEquals(403, assertThrows(DataPathException.class, () -> f.uploads.upload(BOB, publicImage,
                UploadKind.UPLOAD, new ByteArrayInputStream(data), null)).status());
        // Formats missing: 400.
        String noFormats = f.createImage(ALICE, Visibility.PRIVATE, null, null);
        assertEquals(400, assertThrows(DataPathException.class, () -> upload(noFormats, data, null)).status());
        // Already active: 409.
        String active = f.createImage(ALICE);
        upload(active, data, null);
        assertEquals(409, assertThrows(DataPathException.class, () -> upload(active, data, null)).status());
        assertArrayEquals(data, f.download(active, null));
    }

    @Test
    void aRegistryFailureAtCommitIs503AndTheImageIsRequeued() throws Exception {
        f.close();
        FailingRegistry failing = new FailingRegistry(c -> c instanceof Command.CommitUpload);
        f = new DataPathFixture(volume.resolve("503"), ImageWriter.Config.defaults().withChunkSizeBytes(C),
                UploadService.Config.defaults(), failing);
        failing.delegate = f.direct;
        String id = f.createImage(ALICE);
        DataPathException e = assertThrows(DataPathException.class,
                () -> upload(id, randomBytes(2 * C, 16), null));
        assertEquals(503, e.status());
        assertRequeued(id);
    }

    @Test
    void chunksOfAnAbortedUploadStayAsOrphansThatNoManifestNames() throws Exception {
        String id = f.createImage(ALICE);
        byte[] data = randomBytes(4 * C, 17);
        InputStream served = new ByteArrayInputStream(data, 0, 3 * C);
        // Disconnects once the first three chunks are on disk, so that there are orphans to see.
        InputStream body = new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = served.read(b, off, len);
                if (n > 0) return n;
                DataPathFixture.await("three chunks written", () -> f.store.chunksWritten() == 3);
                throw new IOException("the client closed the connection");
            }
        };
        assertEquals(400, assertThrows(DataPathException.class,
                () -> f.uploads.upload(ALICE, id, UploadKind.UPLOAD, body, null)).status());
        assertEquals(3, f.chunkFiles().size());
        assertRequeued(id);
    }

    /** The real registry, except that chosen commands fail as an unreachable registry does. */
    static final class FailingRegistry implements RegistryClient {
        volatile RegistryClient delegate;
        private final Predicate<Command> fails;

        FailingRegistry(Predicate<Command> fails) {
            this.fails = fails;
        }

        @Override
        public CompletableFuture<Result> propose(Command command) {
            if (fails.test(command)) {
                return CompletableFuture.failedFuture(new IOException("registry unreachable (test)"));
            }
            return delegate.propose(command);
        }

        @Override
        public CompletableFuture<Result> read(Query query) {
            return delegate.read(query);
        }

        @Override
        public Result readLocal(Query query) {
            return delegate.readLocal(query);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
