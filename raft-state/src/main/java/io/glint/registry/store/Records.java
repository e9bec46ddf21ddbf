package io.glint.registry.store;

import io.glint.registry.command.Codec;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Image;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.Task;
import io.glint.registry.model.UploadLease;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The key layout of the primary tables and typed access to their records. Composite keys join
 * their parts with a 0x00 byte, which no id or project id contains (ids are validated at the API
 * and in apply).
 */
public final class Records {
    private Records() {}

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] join(String a, String b) {
        byte[] x = utf8(a);
        byte[] y = utf8(b);
        byte[] out = new byte[x.length + 1 + y.length];
        System.arraycopy(x, 0, out, 0, x.length);
        System.arraycopy(y, 0, out, x.length + 1, y.length);
        return out;
    }

    /** The prefix of every composite key whose first part is {@code a}. */
    public static byte[] prefix(String a) {
        byte[] x = utf8(a);
        byte[] out = new byte[x.length + 1];
        System.arraycopy(x, 0, out, 0, x.length);
        return out;
    }

    /** The second part of a composite key. */
    public static String secondPart(byte[] key) {
        for (int i = 0; i < key.length; i++) {
            if (key[i] == 0) return new String(key, i + 1, key.length - i - 1, StandardCharsets.UTF_8);
        }
        throw new IllegalStateException("not a composite key");
    }

    private static <T> T read(KeyValueView v, Table t, byte[] key, Class<T> type) {
        byte[] b = v.get(t, key);
        return b == null ? null : Codec.decodeRecord(b, type);
    }

    // --- images, manifests -------------------------------------------------------------------

    public static Image image(KeyValueView v, String id) {
        return read(v, Table.IMAGES, utf8(id), Image.class);
    }

    public static void putImage(Txn txn, Image image) {
        txn.put(Table.IMAGES, utf8(image.id()), Codec.encodeRecord(image));
    }

    public static ChunkManifest manifest(KeyValueView v, String imageId) {
        return read(v, Table.MANIFESTS, utf8(imageId), ChunkManifest.class);
    }

    public static void putManifest(Txn txn, ChunkManifest m) {
        txn.put(Table.MANIFESTS, utf8(m.imageId()), Codec.encodeRecord(m));
    }

    public static void deleteManifest(Txn txn, String imageId) {
        txn.delete(Table.MANIFESTS, utf8(imageId));
    }

    // --- members -----------------------------------------------------------------------------

    public static Member member(KeyValueView v, String imageId, String memberId) {
        return read(v, Table.MEMBERS, join(imageId, memberId), Member.class);
    }

    /** The member status of {@code projectId} on the image, or null (null project: null). */
    public static MemberStatus membership(KeyValueView v, String imageId, String projectId) {
        if (projectId == null) return null;
        Member m = member(v, imageId, projectId);
        return m == null ? null : m.status();
    }

    public static List<Member> members(KeyValueView v, String imageId) {
        List<Member> out = new ArrayList<>();
        byte[] p = prefix(imageId);
        try (Cursor c = v.scan(Table.MEMBERS, p, Bytes.prefixEnd(p), false)) {
            while (c.next()) out.add(Codec.decodeRecord(c.value(), Member.class));
        }
        return out;
    }

    public static void putMember(Txn txn, Member m) {
        txn.put(Table.MEMBERS, join(m.imageId(), m.memberId()), Codec.encodeRecord(m));
        txn.put(Table.SHARED_WITH, join(m.memberId(), m.imageId()), utf8(m.status().name()));
    }

    public static void deleteMember(Txn txn, String imageId, String memberId) {
        txn.delete(Table.MEMBERS, join(imageId, memberId));
        txn.delete(Table.SHARED_WITH, join(memberId, imageId));
    }

    /** Image ids shared with a project and the project's status on each, in image id order. */
    public static List<Member> sharedWith(KeyValueView v, String projectId) {
        List<Member> out = new ArrayList<>();
        byte[] p = prefix(projectId);
        try (Cursor c = v.scan(Table.SHARED_WITH, p, Bytes.prefixEnd(p), false)) {
            while (c.next()) {
                Member m = member(v, secondPart(c.key()), projectId);
                if (m == null) throw new IllegalStateException("shared_with entry without member record");
                out.add(m);
            }
        }
        return out;
    }

    // --- chunk references --------------------------------------------------------------------

    public static byte[] chunkRefKey(int pg, String chunkId) {
        byte[] id = utf8(chunkId);
        return ByteBuffer.allocate(4 + id.length).putInt(pg).put(id).array();
    }

    public static long chunkRefCount(KeyValueView v, int pg, String chunkId) {
        byte[] b = v.get(Table.CHUNKREFS, chunkRefKey(pg, chunkId));
        return b == null ? 0 : ByteBuffer.wrap(b).getLong();
    }

    /**
     * Adds {@code delta} to a chunk's reference count; a count that reaches zero is removed. The
     * value also keeps the chunk's length and CRC32C, so that an auditor can check a local copy
     * against the registry without reading any manifest.
     */
    public static void addChunkRef(Txn txn, int pg, ChunkInfo chunk, long delta) {
        long n = chunkRefCount(txn, pg, chunk.id()) + delta;
        if (n < 0) throw new IllegalStateException("negative reference count for chunk " + chunk.id());
        byte[] key = chunkRefKey(pg, chunk.id());
        if (n == 0) txn.delete(Table.CHUNKREFS, key);
        else txn.put(Table.CHUNKREFS, key, ByteBuffer.allocate(16).putLong(n).putInt(chunk.lengthBytes()).putInt(chunk.crc32c()).array());
    }

    // --- nodes, tasks, uploads, audits, settings ---------------------------------------------

    public static NodeInfo node(KeyValueView v, String id) {
        return read(v, Table.NODES, utf8(id), NodeInfo.class);
    }

    public static void putNode(Txn txn, NodeInfo n) {
        txn.put(Table.NODES, utf8(n.id()), Codec.encodeRecord(n));
    }

    public static Task task(KeyValueView v, String id) {
        return read(v, Table.TASKS, utf8(id), Task.class);
    }

    public static void putTask(Txn txn, Task t) {
        txn.put(Table.TASKS, utf8(t.id()), Codec.encodeRecord(t));
        if (t.imageId() != null) txn.put(Table.IMAGE_TASKS, join(t.imageId(), t.id()), Bytes.EMPTY);
    }

    public static List<Task> tasksOfImage(KeyValueView v, String imageId) {
        List<Task> out = new ArrayList<>();
        byte[] p = prefix(imageId);
        try (Cursor c = v.scan(Table.IMAGE_TASKS, p, Bytes.prefixEnd(p), false)) {
            while (c.next()) out.add(task(v, secondPart(c.key())));
        }
        return out;
    }

    public static UploadLease upload(KeyValueView v, String imageId) {
        return read(v, Table.UPLOADS, utf8(imageId), UploadLease.class);
    }

    public static void putUpload(Txn txn, UploadLease l) {
        txn.put(Table.UPLOADS, utf8(l.imageId()), Codec.encodeRecord(l));
    }

    public static void deleteUpload(Txn txn, String imageId) {
        txn.delete(Table.UPLOADS, utf8(imageId));
    }

    public static AuditMark audit(KeyValueView v, String id) {
        return read(v, Table.AUDITS, utf8(id), AuditMark.class);
    }

    public static void putAudit(Txn txn, AuditMark a) {
        txn.put(Table.AUDITS, utf8(a.auditId()), Codec.encodeRecord(a));
    }

    public static AuditReport auditReport(KeyValueView v, String auditId) {
        return read(v, Table.AUDIT_REPORTS, utf8(auditId), AuditReport.class);
    }

    public static void putAuditReport(Txn txn, AuditReport r) {
        txn.put(Table.AUDIT_REPORTS, utf8(r.auditId()), Codec.encodeRecord(r));
    }

    /**
     * Audit marks with ids below {@code beforeAuditId} (null: all), newest (largest id) first, at
     * most {@code limit}.
     */
    public static List<AuditMark> auditsBefore(KeyValueView v, String beforeAuditId, int limit) {
        List<AuditMark> out = new ArrayList<>();
        byte[] to = beforeAuditId == null ? null : utf8(beforeAuditId);
        try (Cursor c = v.scan(Table.AUDITS, null, to, true)) {
            while (out.size() < limit && c.next()) out.add(Codec.decodeRecord(c.value(), AuditMark.class));
        }
        return out;
    }

    public static ClusterSettings settings(KeyValueView v) {
        ClusterSettings s = read(v, Table.META, MetaKeys.SETTINGS, ClusterSettings.class);
        return s == null ? ClusterSettings.DEFAULTS : s;
    }

    public static void putSettings(Txn txn, ClusterSettings s) {
        txn.put(Table.META, MetaKeys.SETTINGS, Codec.encodeRecord(s));
    }
}
