package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.command.PatchValue;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Identity;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded generator of plausible command logs: every command type, aimed at a small pool of
 * images, leases, chunks and projects so that commands collide and reach every status, with a
 * healthy share of commands the machine must refuse. The generator never looks at results, so a
 * seed fixes the log whatever the machine does with it (the determinism test needs that).
 */
public final class RandomCommands {
    public static final int IMAGE_POOL = 12;
    private static final int CHUNK_POOL = 10;
    private static final List<Identity> OWNERS = List.of(MachineHarness.ALICE, MachineHarness.BOB, MachineHarness.CAROL);
    private static final List<Identity> ACTORS = List.of(MachineHarness.ALICE, MachineHarness.BOB,
            MachineHarness.CAROL, MachineHarness.ADMIN, Identity.NOAUTH_ADMIN, MachineHarness.ANONYMOUS);
    private static final List<String> PROJECTS = List.of("alice", "bob", "carol", "dave");
    private static final List<String> EXTRA_KEYS = List.of("os_distro", "hw_disk_bus", "k1", "k2", "os/version");
    private static final List<String> CHUNK_IDS = java.util.stream.IntStream.range(0, CHUNK_POOL)
            .mapToObj(MachineHarness::chunkId).toList();
    private static final List<String> TAGS = List.of("a", "b", "c", "Web", "web", "x".repeat(255));

    private final Random rnd;
    private long nowMillis = MachineHarness.START_MILLIS;
    private final Map<Integer, String> lastLease = new HashMap<>();
    private int leaseSeq;
    private int taskSeq;
    /** The image pool is a window that slides on, so deleted images make room for new ones. */
    private int imageBase;
    private int nodeBase;
    private int lastBegun = -1;

    public RandomCommands(long seed) {
        this.rnd = new Random(seed);
    }

    public static String imageId(int i) {
        return MachineHarness.uuid(1000 + i);
    }

    /** The id of the image at {@code slot} of the current window. */
    private String slotId(int slot) {
        return imageId(imageBase + slot);
    }

    /** {@code commands} commands grouped into entries of 1..{@code maxPerEntry}. */
    public List<List<Command>> log(int commands, int maxPerEntry) {
        List<List<Command>> entries = new ArrayList<>();
        int left = commands;
        while (left > 0) {
            int n = Math.min(left, 1 + rnd.nextInt(maxPerEntry));
            List<Command> entry = new ArrayList<>(n);
            for (int i = 0; i < n; i++) entry.add(next());
            entries.add(entry);
            left -= n;
        }
        return entries;
    }

    public Command next() {
        nowMillis += rnd.nextInt(2000);
        if (rnd.nextInt(30) == 0) imageBase++;
        int roll = rnd.nextInt(100);
        int img = imageBase + rnd.nextInt(IMAGE_POOL);
        String id = imageId(img);
        Identity actor = actorFor(img);
        if (roll < 12) return create(img);
        if (roll < 24) return new Command.PatchImage(actor, nowMillis, id, patchOps());
        if (roll < 36) return begin(img, actor);
        // the ends of an upload mostly aim at an image an upload began on lately
        if (roll >= 36 && roll < 59 && lastBegun >= 0 && rnd.nextInt(10) < 7) {
            img = lastBegun;
            id = imageId(img);
        }
        if (roll < 46) return commit(img);
        if (roll < 50) return new Command.AbortUpload(nowMillis, id, leaseFor(img), "aborted");
        if (roll < 54) return new Command.RenewLease(nowMillis, id, leaseFor(img), nowMillis + rnd.nextInt(30_000) - 2_000);
        if (roll < 59) return new Command.ExpireLease(nowMillis + rnd.nextInt(40_000), id, leaseFor(img));
        if (roll < 63) return new Command.Deactivate(actor, nowMillis, id);
        if (roll < 67) return new Command.Reactivate(actor, nowMillis, id);
        if (roll < 72) return new Command.DeleteImage(actor, nowMillis, id, rnd.nextBoolean());
        if (roll < 76) return new Command.PurgeImage(nowMillis, id);
        if (roll < 80) return new Command.AddTag(actor, nowMillis, id, pick(TAGS));
        if (roll < 83) return new Command.RemoveTag(actor, nowMillis, id, pick(TAGS));
        if (roll < 87) return new Command.AddMember(actor, nowMillis, id, pick(PROJECTS));
        if (roll < 91) return updateMember(id);
        if (roll < 93) return new Command.RemoveMember(actor, nowMillis, id, pick(PROJECTS));
        if (roll < 95) return task(id);
        if (roll < 97) return node();
        if (roll < 98) return audit();
        return settings();
    }

    private <T> T pick(List<T> l) {
        return l.get(rnd.nextInt(l.size()));
    }

    /** Mostly the image's natural owner, sometimes an admin, sometimes anyone. */
    private Identity actorFor(int img) {
        int r = rnd.nextInt(10);
        if (r < 6) return OWNERS.get(img % OWNERS.size());
        if (r < 8) return MachineHarness.ADMIN;
        return pick(ACTORS);
    }

    private Command create(int img) {
        Identity actor = rnd.nextInt(10) < 8 ? OWNERS.get(img % OWNERS.size()) : pick(ACTORS);
        String id = rnd.nextInt(30) == 0 ? "not-a-uuid" : imageId(img);
        Visibility vis = rnd.nextInt(30) == 0 ? null : pick(List.of(Visibility.values()));
        if (vis == Visibility.PUBLIC && rnd.nextBoolean()) vis = Visibility.SHARED;
        String owner = rnd.nextInt(10) == 0 ? pick(PROJECTS) : actor.projectId();
        boolean formats = rnd.nextInt(6) != 0;
        String disk = formats ? pick(List.of("raw", "qcow2", "iso")) : null;
        String container = formats ? "bare" : null;
        if (rnd.nextInt(25) == 0) disk = "qcow3";
        List<String> tags = new ArrayList<>();
        for (int i = rnd.nextInt(4); i > 0; i--) tags.add(pick(TAGS));
        Map<String, String> extra = new HashMap<>();
        for (int i = rnd.nextInt(5); i > 0; i--) extra.put(pick(EXTRA_KEYS), "v" + rnd.nextInt(3));
        if (rnd.nextInt(25) == 0) extra.put(pick(List.of("os_glance_x", "location", "status")), "x");
        long minDisk = rnd.nextInt(25) == 0 ? -1 : rnd.nextInt(3);
        return new Command.CreateImage(actor, nowMillis, id, rnd.nextBoolean() ? "img-" + img : null, vis,
                rnd.nextInt(8) == 0, rnd.nextInt(8) == 0, owner, minDisk, rnd.nextInt(2048), container, disk, tags,
                extra);
    }

    private List<PatchOp> patchOps() {
        List<PatchOp> ops = new ArrayList<>();
        for (int i = rnd.nextInt(4); i > 0; i--) ops.add(patchOp());
        return ops;
    }

    private PatchOp patchOp() {
        PatchOp.Op op = pick(List.of(PatchOp.Op.values()));
        switch (rnd.nextInt(14)) {
            case 0: return new PatchOp(op, "name", rnd.nextInt(5) == 0 ? new PatchValue.Null() : new PatchValue.Str("n" + rnd.nextInt(3)));
            case 1: return new PatchOp(op, pick(EXTRA_KEYS), op == PatchOp.Op.REMOVE ? null : new PatchValue.Str("v" + rnd.nextInt(3)));
            case 2: return new PatchOp(PatchOp.Op.REMOVE, pick(EXTRA_KEYS), null);
            case 3: return new PatchOp(op, "visibility", new PatchValue.Str(pick(List.of("public", "private", "shared", "community", "bogus"))));
            case 4: return new PatchOp(op, "owner", new PatchValue.Str(pick(PROJECTS)));
            case 5: return new PatchOp(op, pick(List.of("disk_format", "container_format")),
                    rnd.nextInt(4) == 0 ? new PatchValue.Null() : new PatchValue.Str(pick(List.of("raw", "bare", "ovf", "vmdk"))));
            case 6: return new PatchOp(op, "tags", new PatchValue.StrList(List.of(pick(TAGS), pick(TAGS))));
            case 7: return new PatchOp(op, "protected", new PatchValue.Bool(rnd.nextInt(3) == 0));
            case 8: return new PatchOp(op, pick(List.of("min_disk", "min_ram")), new PatchValue.Num(rnd.nextInt(10) - 1));
            case 9: return new PatchOp(op, pick(List.of("status", "size", "os_glance_import_task", "locations")), new PatchValue.Str("x"));
            case 10: return new PatchOp(op, "os_hidden", new PatchValue.Num(1));
            case 11: return new PatchOp(op, "os_hidden", new PatchValue.Bool(rnd.nextBoolean()));
            case 12: return new PatchOp(PatchOp.Op.ADD, "k" + rnd.nextInt(4), new PatchValue.Str("v"));
            default: return new PatchOp(op, "visibility", new PatchValue.Str("shared"));
        }
    }

    private String leaseFor(int img) {
        String last = lastLease.get(img);
        if (last != null && rnd.nextInt(10) < 8) return last;
        return "lease-" + rnd.nextInt(Math.max(1, leaseSeq + 1));
    }

    private Command begin(int img, Identity actor) {
        String lease = "lease-" + (++leaseSeq);
        lastLease.put(img, lease);
        lastBegun = img;
        UploadKind kind = pick(List.of(UploadKind.values()));
        long expires = nowMillis + (rnd.nextInt(20) == 0 ? 0 : 1000 + rnd.nextInt(20_000));
        return new Command.BeginUpload(actor, nowMillis, imageId(img), kind, lease, "node-" + rnd.nextInt(3), expires);
    }

    private Command commit(int img) {
        String id = rnd.nextInt(20) == 0 ? slotId(rnd.nextInt(IMAGE_POOL)) : imageId(img);
        ChunkManifest m = manifest(id);
        Long expected = null;
        int r = rnd.nextInt(10);
        if (r < 3) expected = m.sizeBytes();
        else if (r == 3) expected = m.sizeBytes() + 1;
        Long virtual = rnd.nextBoolean() ? null : m.sizeBytes() * 3;
        return new Command.CommitUpload(nowMillis, imageId(img), leaseFor(img), m, virtual, expected);
    }

    private ChunkManifest manifest(String id) {
        List<ChunkInfo> chunks = new ArrayList<>();
        long size = 0;
        for (int i = rnd.nextInt(5); i > 0; i--) {
            int n = rnd.nextInt(CHUNK_POOL);
            chunks.add(new ChunkInfo(CHUNK_IDS.get(n), 1000 + n, n));
            size += 1000 + n;
        }
        String md5 = String.format("%032x", rnd.nextLong() & Long.MAX_VALUE);
        return new ChunkManifest(id, chunks, size, md5, "sha512", "cd".repeat(64));
    }

    private Command updateMember(String id) {
        String member = pick(PROJECTS);
        Identity actor;
        int r = rnd.nextInt(10);
        if (r < 6) actor = Identity.member(member);
        else if (r < 8) actor = MachineHarness.ADMIN;
        else actor = pick(ACTORS);
        MemberStatus s = rnd.nextInt(20) == 0 ? null : pick(List.of(MemberStatus.values()));
        return new Command.UpdateMember(actor, nowMillis, id, member, s);
    }

    private Command task(String imageId) {
        if (taskSeq == 0 || rnd.nextInt(3) == 0) {
            String id = "task-" + (rnd.nextInt(8) == 0 ? Math.max(0, taskSeq - 1) : taskSeq++);
            TaskStatus s = rnd.nextInt(10) == 0 ? TaskStatus.SUCCESS : TaskStatus.PENDING;
            return new Command.CreateTask(nowMillis, new Task(id, "api_image_import", s, "alice",
                    rnd.nextBoolean() ? imageId : null, "req", "u", "{}", null, null, 0, 0, null));
        }
        TaskStatus s = rnd.nextInt(15) == 0 ? null : pick(List.of(TaskStatus.values()));
        return new Command.UpdateTask(nowMillis, "task-" + rnd.nextInt(taskSeq + 1), s,
                rnd.nextBoolean() ? "m" + rnd.nextInt(3) : null, rnd.nextBoolean() ? "{\"image_id\":\"x\"}" : null,
                rnd.nextBoolean() ? nowMillis + 48L * 3600_000 : null);
    }

    private Command node() {
        if (rnd.nextInt(8) == 0) nodeBase++;
        String id = "node-" + (nodeBase + rnd.nextInt(4));
        int r = rnd.nextInt(6);
        if (r < 3) {
            return new Command.JoinNode(nowMillis, new NodeInfo(id, "http://" + id, id + ":1", id + ":2",
                    "zone-" + rnd.nextInt(2), rnd.nextInt(20) == 0 ? -1 : 1L << (30 + rnd.nextInt(4)), NodeState.UP, 0, 0));
        }
        if (r < 5) {
            return new Command.UpdateNode(nowMillis, id, rnd.nextBoolean() ? null : pick(List.of(NodeState.UP,
                    NodeState.DRAINING, NodeState.DOWN)), rnd.nextBoolean() ? null : (long) rnd.nextInt(1000) - 10);
        }
        return new Command.RemoveNode(nowMillis, id);
    }

    /** Marks and reports of a small pool of audits: duplicates, reports before their mark, empty reports. */
    private Command audit() {
        String auditId = "audit-" + rnd.nextInt(20);
        if (rnd.nextBoolean()) return new Command.MarkAudit(nowMillis, auditId, "admin");
        int r = rnd.nextInt(10);
        String report = r == 0 ? "" : r == 1 ? null : "{\"state\":\"" + pick(List.of("running", "done")) + "\"}";
        return new Command.SaveAuditReport(nowMillis, auditId, report);
    }

    private Command settings() {
        int quota = pick(List.of(128, 3, -1));
        int pgs = rnd.nextInt(5) == 0 ? pick(List.of(256, 7)) : 512;
        return new Command.SetClusterSettings(new ClusterSettings(pgs, quota,
                pick(List.of(128, 2, -1)), pick(List.of(128, 2, -1))));
    }
}
