package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.command.PatchValue;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.Records;
import io.glint.registry.store.RegistryStore;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;
import io.glint.registry.store.MetaKeys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the state machine the way the Ratis adapter does: each entry is applied over the
 * committed store with {@link RegistryMachine#applyEntry} and its mutations are committed at the
 * next log index. The clock is a counter moved by the test, so every timestamp is predictable.
 * Also builds the commands the tests need with sensible defaults.
 */
public final class MachineHarness {
    public static final Identity ADMIN = new Identity("admin-project", "admin-user", List.of("admin", "member", "reader"));
    public static final Identity ALICE = Identity.member("alice");
    public static final Identity BOB = Identity.member("bob");
    public static final Identity CAROL = Identity.member("carol");
    /** Anonymous read-only caller: no project, no roles. */
    public static final Identity ANONYMOUS = new Identity(null, null, List.of());

    public static final long START_MILLIS = 1_700_000_000_000L;

    public final RegistryStore store;
    private long index;
    private long nowMillis = START_MILLIS;
    private int leaseSeq;

    public MachineHarness() {
        this(new InMemoryStore());
    }

    public MachineHarness(RegistryStore store) {
        this.store = store;
        this.index = store.applied().index();
    }

    // --- applying ------------------------------------------------------------------------------

    /** Applies one entry and commits its writes; returns the per-command results. */
    public RegistryMachine.Applied entryApplied(List<Command> commands) {
        index++;
        RegistryMachine.Applied a = RegistryMachine.applyEntry(store, index, commands);
        store.commit(a.mutations(), 1, index);
        return a;
    }

    public List<Result> entry(Command... commands) {
        return entryApplied(Arrays.asList(commands)).results();
    }

    public Result apply(Command c) {
        return entry(c).get(0);
    }

    /** Applies {@code c}, asserts it succeeded, returns its result. */
    public Result ok(Command c) {
        Result r = apply(c);
        assertTrue(r.isOk(), () -> "expected OK for " + c + " but got " + r.code() + ": " + r.message());
        return r;
    }

    /**
     * Applies {@code c}, asserts it was rejected with {@code code} and that the rejection wrote
     * nothing at all (the registry's bytes are unchanged).
     */
    public Result rejected(Result.Code code, Command c) {
        return rejected(code, c, "");
    }

    /** As {@link #rejected(Result.Code, Command)}, with a note on why the rejection is expected. */
    public Result rejected(Result.Code code, Command c, String why) {
        String before = digest();
        index++;
        RegistryMachine.Applied a = RegistryMachine.applyEntry(store, index, List.of(c));
        Result r = a.results().get(0);
        assertEquals(code, r.code(), () -> why + " / result of " + c + ": " + r.message());
        assertTrue(r.message() != null && !r.message().isEmpty(), "a rejection explains itself");
        assertEquals(List.of(), a.mutations(), "a rejected command writes nothing");
        store.commit(a.mutations(), 1, index);
        assertEquals(before, digest(), "state unchanged by a rejection");
        return r;
    }

    public long index() {
        return index;
    }

    // --- clock ---------------------------------------------------------------------------------

    public long now() {
        return nowMillis;
    }

    /** Moves the clock on by one second and returns the new time. */
    public long tick() {
        nowMillis += 1000;
        return nowMillis;
    }

    // --- reading -------------------------------------------------------------------------------

    /** The registry digest without the META table's applied index (it moves with every entry). */
    public String digest() {
        Txn withoutApplied = new Txn(store);
        withoutApplied.delete(Table.META, MetaKeys.APPLIED);
        return StateDigest.hex(withoutApplied);
    }

    public Image image(String id) {
        return Records.image(store, id);
    }

    public ImageStatus status(String id) {
        return image(id).status();
    }

    public ChunkManifest manifest(String id) {
        return Records.manifest(store, id);
    }

    public UploadLease lease(String id) {
        return Records.upload(store, id);
    }

    public List<Member> members(String id) {
        return Records.members(store, id);
    }

    public long refs(String chunkId) {
        int pg = ChunkInfo.placementGroup(chunkId, Records.settings(store).placementGroups());
        return Records.chunkRefCount(store, pg, chunkId);
    }

    // --- ids, chunks, manifests ----------------------------------------------------------------

    public static String uuid(int n) {
        return String.format("00000000-0000-4000-8000-%012d", n);
    }

    /** A realistic content address: the SHA-256 hex of "chunk-n". */
    public static String chunkId(int n) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("chunk-" + n).getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) sb.append(String.format("%02x", b));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A manifest listing chunks {@code ns} (repeats allowed), each 1000 + n bytes long. */
    public static ChunkManifest manifest(String imageId, int... ns) {
        List<ChunkInfo> chunks = new ArrayList<>();
        long size = 0;
        for (int n : ns) {
            chunks.add(new ChunkInfo(chunkId(n), 1000 + n, n * 31));
            size += 1000 + n;
        }
        String tag = imageId.substring(imageId.length() - 4) + Arrays.toString(ns).hashCode();
        return new ChunkManifest(imageId, chunks, size, md5Like(tag), "sha512", "ab".repeat(64));
    }

    private static String md5Like(String seed) {
        String h = Integer.toHexString(seed.hashCode());
        return (h + "0".repeat(32)).substring(0, 32);
    }

    // --- command builders ----------------------------------------------------------------------

    /** A CreateImage with every field at its API default (owner = caller's project, shared). */
    public final class Create {
        Identity actor;
        String id;
        String name = "img";
        Visibility visibility = Visibility.SHARED;
        boolean isProtected;
        boolean osHidden;
        String owner;
        long minDisk;
        long minRam;
        String containerFormat;
        String diskFormat;
        List<String> tags = List.of();
        Map<String, String> extra = new HashMap<>();

        Create(Identity actor, String id) {
            this.actor = actor;
            this.id = id;
            this.owner = actor.projectId();
        }

        public Create name(String v) { name = v; return this; }
        public Create visibility(Visibility v) { visibility = v; return this; }
        public Create protect() { isProtected = true; return this; }
        public Create hidden() { osHidden = true; return this; }
        public Create owner(String v) { owner = v; return this; }
        public Create minDisk(long v) { minDisk = v; return this; }
        public Create minRam(long v) { minRam = v; return this; }
        public Create formats(String disk, String container) { diskFormat = disk; containerFormat = container; return this; }
        public Create tags(String... v) { tags = List.of(v); return this; }
        public Create tags(List<String> v) { tags = v; return this; }
        public Create extra(String k, String v) { extra.put(k, v); return this; }

        public Command.CreateImage cmd() {
            return new Command.CreateImage(actor, tick(), id, name, visibility, isProtected, osHidden, owner, minDisk,
                    minRam, containerFormat, diskFormat, tags, extra);
        }
    }

    public Create create(Identity actor, String id) {
        return new Create(actor, id);
    }

    /** Creates a queued image owned by {@code actor}'s project with formats raw/bare. */
    public Image queued(Identity actor, String id) {
        return ok(create(actor, id).formats("raw", "bare").cmd()).value(Image.class);
    }

    public Image queued(Identity actor, String id, Visibility v) {
        return ok(create(actor, id).formats("raw", "bare").visibility(v).cmd()).value(Image.class);
    }

    public String nextLeaseId() {
        return "lease-" + (++leaseSeq);
    }

    public Command.BeginUpload begin(Identity actor, String id, UploadKind kind, String leaseId) {
        long t = tick();
        return new Command.BeginUpload(actor, t, id, kind, leaseId, "node-1", t + 60_000);
    }

    public Command.CommitUpload commit(String id, String leaseId, ChunkManifest m) {
        return new Command.CommitUpload(tick(), id, leaseId, m, m == null ? null : m.sizeBytes() * 2, null);
    }

    /** Begins and commits an upload of {@code kind}; returns the image after the commit. */
    public Image upload(Identity actor, String id, UploadKind kind, ChunkManifest m) {
        String lease = nextLeaseId();
        ok(begin(actor, id, kind, lease));
        return ok(commit(id, lease, m)).value(Image.class);
    }

    /** An active image owned by {@code actor}, holding {@code chunks}. */
    public Image active(Identity actor, String id, int... chunks) {
        queued(actor, id);
        return upload(actor, id, UploadKind.UPLOAD, manifest(id, chunks));
    }

    public Command.PatchImage patch(Identity actor, String id, PatchOp... ops) {
        return new Command.PatchImage(actor, tick(), id, List.of(ops));
    }

    public static PatchOp add(String field, PatchValue v) {
        return new PatchOp(PatchOp.Op.ADD, field, v);
    }

    public static PatchOp replace(String field, PatchValue v) {
        return new PatchOp(PatchOp.Op.REPLACE, field, v);
    }

    public static PatchOp remove(String field) {
        return new PatchOp(PatchOp.Op.REMOVE, field, null);
    }

    public static PatchValue str(String s) {
        return new PatchValue.Str(s);
    }

    public static PatchValue num(long n) {
        return new PatchValue.Num(n);
    }

    public static PatchValue bool(boolean b) {
        return new PatchValue.Bool(b);
    }

    public static PatchValue list(String... s) {
        return new PatchValue.StrList(List.of(s));
    }

    public static PatchValue nul() {
        return new PatchValue.Null();
    }

    public Command.DeleteImage delete(Identity actor, String id, boolean delayed) {
        return new Command.DeleteImage(actor, tick(), id, delayed);
    }

    public Command.Deactivate deactivate(Identity actor, String id) {
        return new Command.Deactivate(actor, tick(), id);
    }

    public Command.Reactivate reactivate(Identity actor, String id) {
        return new Command.Reactivate(actor, tick(), id);
    }

    public Command.AddTag addTag(Identity actor, String id, String tag) {
        return new Command.AddTag(actor, tick(), id, tag);
    }

    public Command.RemoveTag removeTag(Identity actor, String id, String tag) {
        return new Command.RemoveTag(actor, tick(), id, tag);
    }

    public Command.AddMember addMember(Identity actor, String id, String member) {
        return new Command.AddMember(actor, tick(), id, member);
    }

    public Command.UpdateMember updateMember(Identity actor, String id, String member,
                                             io.glint.registry.model.MemberStatus s) {
        return new Command.UpdateMember(actor, tick(), id, member, s);
    }

    public Command.RemoveMember removeMember(Identity actor, String id, String member) {
        return new Command.RemoveMember(actor, tick(), id, member);
    }
}
