package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A registry in an {@link InMemoryStore} written the way apply writes it (record, then index
 * update, in one transaction, then one commit), without going through commands. Also builds
 * images tersely for the tests.
 */
final class ListFixture {
    final InMemoryStore store = new InMemoryStore();
    private long index = 0;

    /** Stores {@code image}, replacing (and re-indexing) any record with its id. */
    void put(Image image) {
        Txn txn = new Txn(store);
        Image before = Records.image(txn, image.id());
        Records.putImage(txn, image);
        Indexes.update(txn, before, image);
        commit(txn);
    }

    /** Removes the record and its index entries altogether. */
    void remove(String imageId) {
        Txn txn = new Txn(store);
        Image before = Records.image(txn, imageId);
        if (before == null) return;
        txn.delete(Table.IMAGES, Records.utf8(imageId));
        Indexes.update(txn, before, null);
        commit(txn);
    }

    void member(String imageId, String project, MemberStatus status) {
        Txn txn = new Txn(store);
        Records.putMember(txn, new Member(imageId, project, status, 1, 1));
        commit(txn);
    }

    void removeMember(String imageId, String project) {
        Txn txn = new Txn(store);
        Records.deleteMember(txn, imageId, project);
        commit(txn);
    }

    void commit(Txn txn) {
        store.commit(txn.mutations(), 1, ++index);
    }

    /** An active, non-hidden image; change it with {@link Builder}. */
    static Builder image(String id) {
        return new Builder(id);
    }

    static final class Builder {
        String id;
        String name;
        ImageStatus status = ImageStatus.ACTIVE;
        Visibility visibility = Visibility.PUBLIC;
        boolean isProtected;
        boolean osHidden;
        String owner = "p1";
        long minDisk;
        long minRam;
        String containerFormat = "bare";
        String diskFormat = "raw";
        Long size;
        Long virtualSize;
        String checksum;
        String osHashAlgo;
        String osHashValue;
        long createdAtMillis = 1_000_000;
        long updatedAtMillis = 1_000_000;
        List<String> tags = List.of();
        Map<String, String> extra = Map.of();

        Builder(String id) {
            this.id = id;
            this.name = "name-" + id;
        }

        Builder name(String v) { name = v; return this; }
        Builder status(ImageStatus v) { status = v; return this; }
        Builder visibility(Visibility v) { visibility = v; return this; }
        Builder owner(String v) { owner = v; return this; }
        Builder hidden(boolean v) { osHidden = v; return this; }
        Builder isProtected(boolean v) { isProtected = v; return this; }
        Builder size(Long v) { size = v; return this; }
        Builder created(long v) { createdAtMillis = v; updatedAtMillis = Math.max(updatedAtMillis, v); return this; }
        Builder updated(long v) { updatedAtMillis = v; return this; }
        Builder tags(String... v) { tags = List.of(v); return this; }
        Builder extra(String k, String v) { extra = Map.of(k, v); return this; }
        Builder formats(String cf, String df) { containerFormat = cf; diskFormat = df; return this; }

        Image build() {
            return new Image(id, name, status, visibility, isProtected, osHidden, owner, minDisk, minRam,
                    containerFormat, diskFormat, size, virtualSize, checksum, osHashAlgo, osHashValue,
                    createdAtMillis, updatedAtMillis, tags, new TreeMap<>(extra));
        }
    }
}
