package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.KeyWriter;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.glint.registry.query.ListFixture.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Index maintenance: which entries an image has, and that an update writes only the difference. */
class IndexesTest {

    @Test
    void aListedImageHasOneEntryPerSortFieldPerSourceAndOnePerTag() {
        Image i = image("x").tags("a", "b", "c").build();
        assertEquals(8, Indexes.entries(Table.IDX_SORT, i).size());
        assertEquals(8 + 8 + 3, Indexes.entries(Table.IDX_ATTR, i).size());
    }

    @ParameterizedTest
    @EnumSource(value = ImageStatus.class, names = {"KILLED", "DELETED", "PENDING_DELETE"})
    void imagesThatAreNeverListedHaveNoEntries(ImageStatus status) {
        Image i = image("x").status(status).tags("a").build();
        assertTrue(Indexes.entries(Table.IDX_SORT, i).isEmpty());
        assertTrue(Indexes.entries(Table.IDX_ATTR, i).isEmpty());
        assertTrue(Indexes.entries(Table.IDX_SORT, null).isEmpty());
    }

    @Test
    void touchingAnImageRewritesOnlyItsUpdatedAtEntries() {
        InMemoryStore store = new InMemoryStore();
        Image before = image("x").updated(1_000_000).build();
        Txn create = new Txn(store);
        Indexes.update(create, null, before);
        store.commit(create.mutations(), 1, 1);
        Txn touch = new Txn(store);
        Indexes.update(touch, before, before.touched(2_000_000));
        List<Mutation> m = touch.mutations();
        assertEquals(6, m.size(), "3 entries for updated_at (all images, owner, visibility), each deleted and put");
        assertEquals(3, m.stream().filter(Mutation::isDelete).count());
        byte updatedTag = Indexes.fieldTag(SortField.UPDATED_AT);
        for (Mutation x : m) {
            byte[] k = x.key();
            boolean sortEntry = x.table() == Table.IDX_SORT && k[0] == updatedTag;
            boolean attrEntry = x.table() == Table.IDX_ATTR
                    && (startsWith(k, Indexes.ownerPrefix("p1", SortField.UPDATED_AT))
                    || startsWith(k, Indexes.visibilityPrefix(Visibility.PUBLIC, SortField.UPDATED_AT)));
            assertTrue(sortEntry || attrEntry, "unexpected change of " + x.table());
        }
    }

    @Test
    void killingAnImageRemovesEveryEntry() {
        InMemoryStore store = new InMemoryStore();
        Image live = image("x").tags("t").visibility(Visibility.SHARED).build();
        Txn a = new Txn(store);
        Indexes.update(a, null, live);
        store.commit(a.mutations(), 1, 1);
        Txn b = new Txn(store);
        Indexes.update(b, live, live.withStatus(ImageStatus.KILLED, 2_000_000));
        store.commit(b.mutations(), 1, 2);
        assertEquals(8 + 8 + 8 + 1, b.mutations().size());
        assertTrue(b.mutations().stream().allMatch(Mutation::isDelete));
        for (Table t : new Table[] {Table.IDX_SORT, Table.IDX_ATTR}) {
            try (var c = store.scan(t, null, null, false)) {
                assertTrue(!c.next(), t + " not empty");
            }
        }
    }

    @Test
    void anUpdateAcrossTwoImagesIsAProgrammerError() {
        Txn t = new Txn(new InMemoryStore());
        assertThrows(IllegalArgumentException.class, () -> Indexes.update(t, image("a").build(), image("b").build()));
    }

    @Test
    void positionsDecodeBackToTheImageId() {
        Image i = image("id-\u0000-z").name("n\u0000").size(null).build();
        for (SortField f : SortField.values()) {
            byte[] prefix = Indexes.sortPrefix(f);
            byte[] key = Indexes.concat(prefix, Indexes.position(f, i));
            assertEquals(i.id(), Indexes.idOf(key, prefix.length, f), f.name());
        }
    }

    @Test
    void positionOrderIsNullsFirstThenValueThenCreatedThenId() {
        Image nullName = image("z").name(null).created(9).build();
        Image early = image("b").name("m").created(1).build();
        Image lateLowId = image("a").name("m").created(2).build();
        Image lateHighId = image("c").name("m").created(2).build();
        List<Image> ordered = List.of(nullName, early, lateLowId, lateHighId);
        for (int k = 1; k < ordered.size(); k++) {
            byte[] x = Indexes.position(SortField.NAME, ordered.get(k - 1));
            byte[] y = Indexes.position(SortField.NAME, ordered.get(k));
            assertTrue(java.util.Arrays.compareUnsigned(x, y) < 0, "position " + (k - 1) + " < " + k);
        }
        assertEquals(KeyWriter.key().str("m").build().length + 9 + KeyWriter.key().str("a").build().length,
                Indexes.position(SortField.NAME, lateLowId).length);
    }

    private static boolean startsWith(byte[] k, byte[] prefix) {
        return k.length >= prefix.length
                && java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
    }
}
