package io.glint.registry.query;

import io.glint.registry.machine.MachineHarness;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The reaper's paged scans: every pending delete and every upload lease is found exactly once
 * however small the pages, and a page never reads more than its limit.
 */
class ReaperScansTest {
    private final MachineHarness h = new MachineHarness();

    @Test
    void pagedImageScanFindsEveryPendingDeleteOnce() {
        List<String> pending = new ArrayList<>();
        for (int i = 1; i <= 23; i++) {
            h.active(ALICE, uuid(i), i);
            if (i % 3 == 0) {
                h.ok(h.delete(ALICE, uuid(i), true));
                pending.add(uuid(i));
            } else if (i % 5 == 0) {
                h.ok(h.delete(ALICE, uuid(i), false)); // a tombstone: DELETED, not pending
            }
        }
        for (int page : new int[]{1, 4, 7, 23, 100}) {
            List<String> found = new ArrayList<>();
            String after = null;
            int calls = 0;
            do {
                Payload.ImageScan s = QueryEngine.run(h.store, h.index(),
                        new Query.ScanImages(after, ImageStatus.PENDING_DELETE, page)).value(Payload.ImageScan.class);
                for (Image im : s.images()) found.add(im.id());
                after = s.nextAfter();
                calls++;
            } while (after != null && calls < 100);
            assertEquals(pending, found, "page size " + page);
            assertEquals((23 + page - 1) / page, calls, "one call per page of " + page);
        }
    }

    @Test
    void pagedUploadScanListsEveryLease() {
        List<String> leased = new ArrayList<>();
        for (int i = 1; i <= 9; i++) {
            h.queued(ALICE, uuid(i));
            if (i % 2 == 1) {
                h.ok(h.begin(ALICE, uuid(i), UploadKind.UPLOAD, "lease-" + i));
                leased.add(uuid(i));
            }
        }
        List<String> found = new ArrayList<>();
        String after = null;
        for (int calls = 0; calls < 10; calls++) {
            Payload.UploadScan s = QueryEngine.run(h.store, h.index(), new Query.ScanUploads(after, 2)).value(Payload.UploadScan.class);
            for (UploadLease l : s.uploads()) found.add(l.imageId());
            after = s.nextAfter();
            if (after == null) break;
        }
        assertEquals(leased, found);
        assertNull(after);
    }

    @Test
    void chunkRefsCarryTheLengthAndCrcEveryCopyMustMatch() {
        h.active(ALICE, uuid(1), 1, 2);
        for (io.glint.registry.model.ChunkInfo c : h.manifest(uuid(1)).chunks()) {
            int pg = io.glint.registry.model.ChunkInfo.placementGroup(c.id(), io.glint.registry.store.Records.settings(h.store).placementGroups());
            io.glint.registry.model.ChunkRef.Refs refs = QueryEngine.run(h.store, h.index(), new Query.ChunkRefs(pg))
                    .value(io.glint.registry.model.ChunkRef.Refs.class);
            io.glint.registry.model.ChunkRef ref = refs.refs().stream().filter(r -> r.chunkId().equals(c.id())).findFirst().orElseThrow();
            assertEquals(1, ref.refCount());
            assertEquals(c, ref.info());
        }
    }

    @Test
    void aReferenceFromBeforeLengthsWereKeptReadsAsUnknownLength() {
        String id = "e".repeat(64);
        int pg = io.glint.registry.model.ChunkInfo.placementGroup(id, io.glint.registry.store.Records.settings(h.store).placementGroups());
        io.glint.registry.store.Txn t = new io.glint.registry.store.Txn(h.store);
        t.put(io.glint.registry.store.Table.CHUNKREFS, io.glint.registry.store.Records.chunkRefKey(pg, id),
                java.nio.ByteBuffer.allocate(8).putLong(2).array()); // the old 8-byte value: a count only
        h.store.commit(t.mutations(), 1, h.index() + 1);
        io.glint.registry.model.ChunkRef ref = QueryEngine.run(h.store, h.index() + 1, new Query.ChunkRefs(pg))
                .value(io.glint.registry.model.ChunkRef.Refs.class).refs().get(0);
        assertEquals(2, ref.refCount());
        assertEquals(false, ref.knowsLength());
        assertNull(ref.info());
    }
}
