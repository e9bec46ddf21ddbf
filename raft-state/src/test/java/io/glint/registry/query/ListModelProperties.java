package io.glint.registry.query;

import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.command.PatchValue;
import io.glint.registry.machine.RegistryMachine;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.MemberStatusFilter;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;
import io.glint.registry.query.ListImagesRequest.TimeFilter;
import io.glint.registry.query.ListImagesRequest.VisibilityFilter;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptance property of the list query: after random registry changes, random list requests
 * (filters x sorts x pages, following {@code next} markers) by random callers get exactly the
 * answer of {@link NaiveLister}, which filters and sorts every image. Changes are driven two ways:
 * by writing records and index updates directly, and through {@link RegistryMachine#applyEntry}
 * with random commands. Each try derives everything from {@code seed}; jqwik reports the seed of a
 * failing try, and the assertion message names the request.
 */
class ListModelProperties {

    static final List<String> IDS = new ArrayList<>();

    static {
        for (int i = 0; i < 20; i++) IDS.add(UUID.nameUUIDFromBytes(("image-" + i).getBytes(StandardCharsets.UTF_8)).toString());
    }

    static final String[] NAMES = {null, "alpha", "Alpha", "beta", "b", "", "\u00e9t\u00e9", "\uD83D\uDE00", "\uE000",
            "a:b", "glass, darkly", "a\u0000"};
    static final String[] OWNERS = {"p1", "p2", "p3", null};
    static final String[] PROJECTS = {"p1", "p2", "p3", "p4"};
    static final String[] CONTAINER_FORMATS = {null, "bare", "ovf"};
    static final String[] DISK_FORMATS = {null, "raw", "qcow2", "iso"};
    static final Long[] SIZES = {null, 0L, 10L, 100L, 1000L};
    static final long[] TIMES = {-1001, -1000, -1, 0, 999, 1000, 1500, 2000, 5000, 5999, 10_000};
    static final String[] TAGS = {"a", "b", "c", "d"};
    static final String[] HASHES = {null, "h1", "h2"};
    static final String[] ALGOS = {null, "sha512", "sha256"};

    static final Identity[] CALLERS = {
            Identity.NOAUTH_ADMIN,
            new Identity("p1", "admin-user", List.of("admin", "member")),
            Identity.member("p1"), Identity.member("p2"), Identity.member("p3"), Identity.member("p4"),
            new Identity(null, null, List.of()),
    };

    // --- property 1: records written directly ---------------------------------------------------

    @Property(tries = 200)
    void listerMatchesNaiveModelOverDirectWrites(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int changes) {
        Random rnd = new Random(seed);
        InMemoryStore store = new InMemoryStore();
        NaiveLister model = new NaiveLister();
        long index = 0;
        int done = 0;
        while (done < changes) {
            Txn txn = new Txn(store);
            int batch = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(4) : 1;
            for (int i = 0; i < batch && done < changes; i++, done++) randomChange(rnd, txn, model);
            store.commit(txn.mutations(), 1, ++index);
        }
        KeyValueView view = store;
        if (rnd.nextBoolean()) {
            Txn pending = new Txn(store);
            int extra = 1 + rnd.nextInt(5);
            for (int i = 0; i < extra; i++) randomChange(rnd, pending, model);
            view = pending;
        }
        assertIndexesRebuildable(view, model);
        for (int q = 0; q < 30; q++) compareQuery(rnd, view, model);
    }

    /** One random write to the records, with the index update apply would make. */
    static void randomChange(Random rnd, Txn txn, NaiveLister model) {
        int kind = rnd.nextInt(100);
        String id = pick(rnd, IDS);
        Image before = Records.image(txn, id);
        if (kind < 40 || (kind < 70 && before == null)) {
            write(txn, model, before, randomImage(rnd, id));
        } else if (kind < 55) {
            write(txn, model, before, tweak(rnd, before));
        } else if (kind < 62) {
            write(txn, model, before, before.withStatus(rnd.nextBoolean() ? ImageStatus.DELETED
                    : ImageStatus.PENDING_DELETE, before.updatedAtMillis() + 1));
        } else if (kind < 66) {
            txn.delete(Table.IMAGES, Records.utf8(id));
            Indexes.update(txn, before, null);
            model.remove(id);
        } else if (kind < 90) {
            String project = pick(rnd, PROJECTS);
            MemberStatus st = pick(rnd, MemberStatus.values());
            Records.putMember(txn, new Member(id, project, st, 1, 1));
            model.member(id, project, st);
        } else {
            String project = pick(rnd, PROJECTS);
            Records.deleteMember(txn, id, project);
            model.removeMember(id, project);
        }
    }

    private static void write(Txn txn, NaiveLister model, Image before, Image after) {
        Records.putImage(txn, after);
        Indexes.update(txn, before, after);
        model.put(after);
    }

    static Image randomImage(Random rnd, String id) {
        long created = TIMES[rnd.nextInt(TIMES.length)];
        long updated = rnd.nextBoolean() ? created : TIMES[rnd.nextInt(TIMES.length)];
        List<String> tags = new ArrayList<>();
        for (String t : TAGS) if (rnd.nextInt(3) == 0) tags.add(t);
        Map<String, String> extra = new TreeMap<>();
        if (rnd.nextInt(3) == 0) extra.put("os_distro", rnd.nextBoolean() ? "x" : "y");
        if (rnd.nextInt(4) == 0) extra.put("k", "v");
        ImageStatus[] statuses = ImageStatus.values();
        ImageStatus status = rnd.nextInt(3) == 0 ? ImageStatus.ACTIVE : statuses[rnd.nextInt(statuses.length)];
        return new Image(id, pick(rnd, NAMES), status, pick(rnd, Visibility.values()), rnd.nextInt(5) == 0,
                rnd.nextInt(5) == 0, pick(rnd, OWNERS), rnd.nextInt(3), rnd.nextInt(3), pick(rnd, CONTAINER_FORMATS),
                pick(rnd, DISK_FORMATS), pick(rnd, SIZES), rnd.nextBoolean() ? null : (long) rnd.nextInt(3) * 50,
                pick(rnd, HASHES), pick(rnd, ALGOS), pick(rnd, HASHES), created, updated, tags, new TreeMap<>(extra));
    }

    /** A one-field change, the way a patch or a status transition changes an image. */
    static Image tweak(Random rnd, Image i) {
        long now = i.updatedAtMillis() + rnd.nextInt(1500);
        switch (rnd.nextInt(6)) {
            case 0: return i.withStatus(pick(rnd, ImageStatus.values()), now);
            case 1: {
                List<String> tags = new ArrayList<>(i.tags());
                String t = pick(rnd, TAGS);
                if (!tags.remove(t)) tags.add(t);
                return i.withTags(tags, now);
            }
            case 2: return i.requeued(now);
            case 3: {
                Long size = pick(rnd, SIZES);
                return i.withData(size == null ? 7 : size, null, "c1", "sha512", "h1", ImageStatus.ACTIVE, now);
            }
            case 4: return new Image(i.id(), pick(rnd, NAMES), i.status(), pick(rnd, Visibility.values()),
                    i.isProtected(), !i.osHidden(), pick(rnd, OWNERS), i.minDisk(), i.minRam(), i.containerFormat(),
                    i.diskFormat(), i.size(), i.virtualSize(), i.checksum(), i.osHashAlgo(), i.osHashValue(),
                    i.createdAtMillis(), now, i.tags(), i.extra());
            default: return i.touched(now);
        }
    }

    // --- property 2: commands through the state machine ---------------------------------------

    @Property(tries = 100)
    void listerMatchesNaiveModelOverAppliedCommands(@ForAll long seed,
                                                    @ForAll @IntRange(min = 1, max = 80) int commands) {
        Random rnd = new Random(seed);
        InMemoryStore store = new InMemoryStore();
        NaiveLister model = new NaiveLister();
        Machine m = new Machine(rnd);
        int okCount = 0;
        List<String> rejections = new ArrayList<>();
        for (long index = 1; index <= commands; index++) {
            List<Command> entry = new ArrayList<>();
            int batch = rnd.nextInt(5) == 0 ? 2 + rnd.nextInt(3) : 1;
            for (int i = 0; i < batch; i++) entry.add(m.next());
            RegistryMachine.Applied applied = RegistryMachine.applyEntry(store, index, entry);
            store.commit(applied.mutations(), 1, index);
            for (int i = 0; i < entry.size(); i++) {
                Result r = applied.results().get(i);
                if (r.isOk()) okCount++;
                else if (rejections.size() < 5) rejections.add(entry.get(i).getClass().getSimpleName() + ": " + r);
                m.observe(entry.get(i), r);
                refresh(store, model, entry.get(i));
            }
        }
        assertTrue(okCount > 0, "no command of the run succeeded: the generator is broken: " + rejections);
        assertIndexesRebuildable(store, model);
        for (int q = 0; q < 30; q++) compareQuery(rnd, store, model);
    }

    /** Feeds the model from point reads of what a command may have changed. */
    private static void refresh(KeyValueView store, NaiveLister model, Command c) {
        String imageId = imageIdOf(c);
        if (imageId == null) return;
        Image image = Records.image(store, imageId);
        if (image == null) model.remove(imageId);
        else model.put(image);
        for (String p : PROJECTS) {
            Member member = Records.member(store, imageId, p);
            if (member == null) model.removeMember(imageId, p);
            else model.member(imageId, p, member.status());
        }
    }

    private static String imageIdOf(Command c) {
        if (c instanceof Command.CreateImage x) return x.imageId();
        if (c instanceof Command.PatchImage x) return x.imageId();
        if (c instanceof Command.AddTag x) return x.imageId();
        if (c instanceof Command.RemoveTag x) return x.imageId();
        if (c instanceof Command.AddMember x) return x.imageId();
        if (c instanceof Command.UpdateMember x) return x.imageId();
        if (c instanceof Command.RemoveMember x) return x.imageId();
        if (c instanceof Command.DeleteImage x) return x.imageId();
        if (c instanceof Command.PurgeImage x) return x.imageId();
        if (c instanceof Command.Deactivate x) return x.imageId();
        if (c instanceof Command.Reactivate x) return x.imageId();
        if (c instanceof Command.BeginUpload x) return x.imageId();
        if (c instanceof Command.CommitUpload x) return x.imageId();
        if (c instanceof Command.AbortUpload x) return x.imageId();
        return null;
    }

    /** Generates plausible commands: mostly by owners or admins, on known images, with a clock that ties. */
    static final class Machine {
        private final Random rnd;
        private long nowMillis = 1_000;
        private int leases = 0;
        /** imageId -> lease id of the upload believed to be running */
        private final Map<String, String> running = new HashMap<>();
        /** ids of images created so far: most commands pick one of them */
        private final List<String> created = new ArrayList<>();

        Machine(Random rnd) {
            this.rnd = rnd;
        }

        Command next() {
            nowMillis += rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1500);
            boolean known = !created.isEmpty() && rnd.nextInt(10) < 7;
            String id = known ? pick(rnd, created) : pick(rnd, IDS);
            Identity actor = actor();
            int kind = created.isEmpty() ? 0 : rnd.nextInt(100);
            if (kind < 22) {
                List<String> tags = new ArrayList<>();
                for (String t : TAGS) if (rnd.nextInt(3) == 0) tags.add(t);
                Map<String, String> extra = rnd.nextBoolean() ? Map.of() : Map.of("os_distro", rnd.nextBoolean() ? "x" : "y");
                Visibility v = pick(rnd, Visibility.values());
                if (v == Visibility.PUBLIC && !actor.isAdmin() && rnd.nextInt(5) != 0) v = Visibility.SHARED;
                if (created.isEmpty()) actor = Identity.NOAUTH_ADMIN;
                String owner = actor.isAdmin() ? pick(rnd, OWNERS) : actor.projectId();
                return new Command.CreateImage(actor, nowMillis, id, pick(rnd, NAMES_SAFE), v, false,
                        rnd.nextInt(5) == 0, owner, rnd.nextInt(3), rnd.nextInt(3),
                        rnd.nextInt(5) == 0 ? null : pick(rnd, new String[] {"bare", "ovf"}),
                        rnd.nextInt(5) == 0 ? null : pick(rnd, new String[] {"raw", "qcow2", "iso"}), tags, extra);
            }
            if (kind < 34) return new Command.PatchImage(actor, nowMillis, id, List.of(patchOp()));
            if (kind < 42) return new Command.AddTag(actor, nowMillis, id, pick(rnd, TAGS));
            if (kind < 47) return new Command.RemoveTag(actor, nowMillis, id, pick(rnd, TAGS));
            if (kind < 57) return new Command.AddMember(actor, nowMillis, id, pick(rnd, PROJECTS));
            if (kind < 67) {
                String member = pick(rnd, PROJECTS);
                Identity who = rnd.nextInt(4) == 0 ? actor : Identity.member(member);
                return new Command.UpdateMember(who, nowMillis, id, member, pick(rnd, MemberStatus.values()));
            }
            if (kind < 71) return new Command.RemoveMember(actor, nowMillis, id, pick(rnd, PROJECTS));
            if (kind < 76) return new Command.DeleteImage(actor, nowMillis, id, rnd.nextBoolean());
            if (kind < 79) return new Command.Deactivate(actor, nowMillis, id);
            if (kind < 82) return new Command.Reactivate(actor, nowMillis, id);
            if (kind < 91) {
                String lease = "lease-" + (++leases);
                UploadKind k = rnd.nextInt(4) == 0 ? UploadKind.STAGE : UploadKind.UPLOAD;
                return new Command.BeginUpload(actor, nowMillis, id, k, lease, "node-1", nowMillis + 60_000);
            }
            String lease = running.getOrDefault(id, "lease-none");
            if (rnd.nextInt(4) == 0) return new Command.AbortUpload(nowMillis, id, lease, "test");
            int length = 1 + rnd.nextInt(2000);
            String chunk = String.format("%064x", rnd.nextInt(1_000_000));
            ChunkManifest manifest = new ChunkManifest(id, List.of(new ChunkInfo(chunk, length, 0)), length,
                    "c" + rnd.nextInt(3), "sha512", "h" + rnd.nextInt(3));
            return new Command.CommitUpload(nowMillis, id, lease, manifest, rnd.nextBoolean() ? null : 4096L, null);
        }

        void observe(Command c, Result r) {
            if (c instanceof Command.BeginUpload b && r.isOk()) running.put(b.imageId(), b.leaseId());
            if (c instanceof Command.CreateImage x && r.isOk()) created.add(x.imageId());
        }

        private Identity actor() {
            int k = rnd.nextInt(10);
            if (k < 2) return Identity.NOAUTH_ADMIN;
            return Identity.member(pick(rnd, new String[] {"p1", "p2", "p3"}));
        }

        private PatchOp patchOp() {
            switch (rnd.nextInt(6)) {
                case 0: return new PatchOp(PatchOp.Op.REPLACE, "name", PatchValue.of(pick(rnd, NAMES_SAFE)));
                case 1: return new PatchOp(PatchOp.Op.REPLACE, "visibility",
                        new PatchValue.Str(pick(rnd, new String[] {"private", "shared", "community", "public"})));
                case 2: return new PatchOp(PatchOp.Op.REPLACE, "os_hidden", new PatchValue.Bool(rnd.nextBoolean()));
                case 3: return new PatchOp(PatchOp.Op.ADD, "os_distro", new PatchValue.Str(rnd.nextBoolean() ? "x" : "y"));
                case 4: return new PatchOp(PatchOp.Op.REPLACE, "min_ram", new PatchValue.Num(rnd.nextInt(3)));
                default: return new PatchOp(PatchOp.Op.REPLACE, "disk_format",
                        PatchValue.of(pick(rnd, new String[] {"raw", "qcow2", "iso"})));
            }
        }
    }

    /** Names apply accepts (the direct-write property also covers the odd ones). */
    static final String[] NAMES_SAFE = {null, "alpha", "Alpha", "beta", "b", "", "\u00e9t\u00e9", "\uD83D\uDE00",
            "\uE000", "a:b", "glass, darkly"};

    // --- the comparison -------------------------------------------------------------------------

    /** The index tables hold exactly the entries of the images the model knows: no stale or missing entry. */
    static void assertIndexesRebuildable(KeyValueView view, NaiveLister model) {
        for (Table t : new Table[] {Table.IDX_SORT, Table.IDX_ATTR}) {
            TreeSet<String> expected = new TreeSet<>();
            for (Image i : model.images.values()) {
                for (byte[] k : Indexes.entries(t, i)) expected.add(Bytes.hex(k));
            }
            TreeSet<String> actual = new TreeSet<>();
            try (Cursor c = view.scan(t, null, null, false)) {
                while (c.next()) actual.add(Bytes.hex(c.key()));
            }
            assertEquals(expected, actual, "entries of " + t);
        }
    }

    /** One random request, and the pages after it while they are full. */
    static void compareQuery(Random rnd, KeyValueView view, NaiveLister model) {
        ListImagesRequest r = randomRequest(rnd);
        int budget = new int[] {0, 1, 3, ImageLister.GATHER_BUDGET_ENTRIES}[rnd.nextInt(4)];
        for (int page = 0; page < 8; page++) {
            NaiveLister.Answer want = model.list(r);
            Result got = ImageLister.list(view, r, budget);
            String what = "page " + page + " of " + r + " (gather budget " + budget + ")";
            if (want.invalid()) {
                assertEquals(Result.Code.INVALID, got.code(), what + ": " + got);
                return;
            }
            assertTrue(got.isOk(), what + ": " + got);
            ImagePage p = got.value(ImagePage.class);
            assertEquals(ids(want.images()), ids(p.images()), what);
            assertEquals(want.images(), p.images(), what);
            assertEquals(want.full(), p.full(), what);
            if (!p.full()) return;
            r = withMarker(r, p.images().get(p.images().size() - 1).id());
        }
    }

    private static List<String> ids(List<Image> images) {
        List<String> out = new ArrayList<>();
        for (Image i : images) out.add(i.id() + " " + i.name());
        return out;
    }

    static ListImagesRequest withMarker(ListImagesRequest r, String marker) {
        return new ListImagesRequest(r.caller(), r.visibility(), r.memberStatus(), r.osHidden(), r.anyOf(), r.owner(),
                r.isProtected(), r.checksum(), r.osHashValue(), r.sizeMin(), r.sizeMax(), r.createdAt(), r.updatedAt(),
                r.numbers(), r.tags(), r.extra(), r.sort(), marker, r.limit());
    }

    static ListImagesRequest randomRequest(Random rnd) {
        Identity caller = pick(rnd, CALLERS);
        VisibilityFilter vis = rnd.nextInt(5) < 2 ? VisibilityFilter.DEFAULT : pick(rnd, VisibilityFilter.values());
        MemberStatusFilter ms = rnd.nextInt(2) == 0 ? MemberStatusFilter.ACCEPTED : pick(rnd, MemberStatusFilter.values());
        boolean hidden = rnd.nextInt(5) == 0;
        TreeMap<String, List<String>> anyOf = new TreeMap<>();
        maybeAnyOf(rnd, anyOf, "name", NAMES);
        maybeAnyOf(rnd, anyOf, "id", IDS.subList(0, 8).toArray(new String[0]));
        maybeAnyOf(rnd, anyOf, "status", new String[] {"active", "queued", "saving", "deactivated", "uploading", "ACTIVE"});
        maybeAnyOf(rnd, anyOf, "container_format", CONTAINER_FORMATS);
        maybeAnyOf(rnd, anyOf, "disk_format", DISK_FORMATS);
        if (rnd.nextInt(20) == 0) anyOf.put("os_hash_algo", List.of(rnd.nextBoolean() ? "sha512" : "sha256"));
        String owner = rnd.nextInt(6) == 0 ? pick(rnd, PROJECTS) : null;
        Boolean prot = rnd.nextInt(10) == 0 ? rnd.nextBoolean() : null;
        String checksum = rnd.nextInt(20) == 0 ? pick(rnd, new String[] {"c1", "c2"}) : null;
        String hash = rnd.nextInt(20) == 0 ? pick(rnd, new String[] {"h1", "h2"}) : null;
        Long sizeMin = rnd.nextInt(10) == 0 ? pick(rnd, new Long[] {0L, 10L, 100L}) : null;
        Long sizeMax = rnd.nextInt(10) == 0 ? pick(rnd, new Long[] {0L, 10L, 1000L}) : null;
        List<TimeFilter> created = timeFilters(rnd);
        List<TimeFilter> updated = timeFilters(rnd);
        TreeMap<String, Long> numbers = new TreeMap<>();
        if (rnd.nextInt(15) == 0) numbers.put("min_ram", (long) rnd.nextInt(3));
        if (rnd.nextInt(15) == 0) numbers.put("min_disk", (long) rnd.nextInt(3));
        if (rnd.nextInt(15) == 0) numbers.put("virtual_size", (long) rnd.nextInt(3) * 50);
        if (rnd.nextInt(15) == 0) numbers.put("size", pick(rnd, new Long[] {0L, 10L, 100L}));
        List<String> tags = new ArrayList<>();
        if (rnd.nextInt(4) == 0) {
            tags.add(pick(rnd, TAGS));
            if (rnd.nextBoolean()) tags.add(pick(rnd, TAGS));
        }
        TreeMap<String, String> extra = new TreeMap<>();
        if (rnd.nextInt(15) == 0) extra.put("os_distro", rnd.nextBoolean() ? "x" : "y");
        List<SortKey> sort = randomSort(rnd);
        String marker = rnd.nextInt(7) == 0 ? pick(rnd, IDS) : null;
        int limit = new int[] {0, 1, 1, 2, 2, 3, 3, 5, 8, 1000}[rnd.nextInt(10)];
        return new ListImagesRequest(caller, vis, ms, hidden, anyOf, owner, prot, checksum, hash, sizeMin, sizeMax,
                created, updated, numbers, tags, extra, sort, marker, limit);
    }

    private static void maybeAnyOf(Random rnd, Map<String, List<String>> anyOf, String key, String[] pool) {
        if (rnd.nextInt(8) != 0) return;
        List<String> values = new ArrayList<>();
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            String v = pick(rnd, pool);
            if (v != null) values.add(v);
        }
        anyOf.put(key, values);
    }

    private static List<TimeFilter> timeFilters(Random rnd) {
        List<TimeFilter> out = new ArrayList<>();
        if (rnd.nextInt(8) != 0) return out;
        int n = 1 + rnd.nextInt(2);
        for (int i = 0; i < n; i++) {
            out.add(new TimeFilter(pick(rnd, TimeFilter.Op.values()), new long[] {-2, -1, 0, 1, 2, 5, 10}[rnd.nextInt(7)]));
        }
        return out;
    }

    /** Any sort a client can express, plus some without tie-breakers (the lister completes those). */
    static List<SortKey> randomSort(Random rnd) {
        if (rnd.nextInt(3) == 0) return SortKey.DEFAULT;
        List<SortKey> keys = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) keys.add(new SortKey(pick(rnd, SortField.values()), rnd.nextBoolean()));
        int tail = rnd.nextInt(10);
        if (tail == 0) return keys;
        boolean dir = keys.get(0).descending();
        for (SortField tie : new SortField[] {SortField.CREATED_AT, SortField.ID}) {
            boolean present = false;
            for (SortKey k : keys) present |= k.field() == tie;
            if (!present) keys.add(new SortKey(tie, tail < 7 ? dir : rnd.nextBoolean()));
        }
        return keys;
    }

    static <T> T pick(Random rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }

    static <T> T pick(Random rnd, List<T> values) {
        return values.get(rnd.nextInt(values.size()));
    }
}
