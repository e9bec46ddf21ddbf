package io.glint.registry.machine;

import io.glint.registry.command.Codec;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whole-registry invariants, each recomputed the naive way from the primary records: chunk
 * reference counts from the manifests, lease/status agreement, data fields per status, the
 * member mirror table, audit reports only of existing marks, and that every image's status moved
 * only along the transition table.
 * A violation throws AssertionError naming the broken rule.
 */
public final class RegistryInvariants {
    private RegistryInvariants() {}

    /** Every image's status, by id. */
    public static Map<String, ImageStatus> statuses(KeyValueView v) {
        Map<String, ImageStatus> out = new HashMap<>();
        try (Cursor c = v.scan(Table.IMAGES, null, null, false)) {
            while (c.next()) {
                Image img = Codec.decodeRecord(c.value(), Image.class);
                out.put(img.id(), img.status());
            }
        }
        return out;
    }

    /** Each image's status in {@code after} is its status in {@code before}, or a listed successor of it. */
    public static void checkTransitions(Map<String, ImageStatus> before, Map<String, ImageStatus> after, String where) {
        for (Map.Entry<String, ImageStatus> e : after.entrySet()) {
            ImageStatus from = before.get(e.getKey());
            ImageStatus to = e.getValue();
            boolean ok = from == null ? to == ImageStatus.QUEUED : from == to || from.canMoveTo(to);
            if (!ok) throw new AssertionError(where + ": image " + e.getKey() + " moved " + from + " -> " + to);
        }
        for (String gone : before.keySet()) {
            if (!after.containsKey(gone)) throw new AssertionError(where + ": image record " + gone + " vanished");
        }
    }

    public static void check(KeyValueView v, String where) {
        int pgs = Records.settings(v).placementGroups();
        Map<String, Long> expectedRefs = new TreeMap<>();
        try (Cursor c = v.scan(Table.MANIFESTS, null, null, false)) {
            while (c.next()) {
                ChunkManifest m = Codec.decodeRecord(c.value(), ChunkManifest.class);
                Image img = Records.image(v, m.imageId());
                if (img == null) throw new AssertionError(where + ": manifest of unknown image " + m.imageId());
                Set<String> distinct = new LinkedHashSet<>();
                for (ChunkInfo ci : m.chunks()) distinct.add(ci.id());
                for (String id : distinct) expectedRefs.merge(id, 1L, Long::sum);
                if (img.size() == null || img.size() != m.sizeBytes()) {
                    throw new AssertionError(where + ": image " + img.id() + " size " + img.size()
                            + " differs from its manifest " + m.sizeBytes());
                }
            }
        }
        Map<String, Long> actualRefs = new TreeMap<>();
        try (Cursor c = v.scan(Table.CHUNKREFS, null, null, false)) {
            while (c.next()) {
                ByteBuffer k = ByteBuffer.wrap(c.key());
                int pg = k.getInt();
                String chunk = new String(c.key(), 4, c.key().length - 4, java.nio.charset.StandardCharsets.UTF_8);
                if (pg != ChunkInfo.placementGroup(chunk, pgs)) {
                    throw new AssertionError(where + ": chunk " + chunk + " filed under group " + pg);
                }
                long n = ByteBuffer.wrap(c.value()).getLong();
                if (n <= 0) throw new AssertionError(where + ": stored count " + n + " for " + chunk);
                actualRefs.put(chunk, n);
            }
        }
        if (!expectedRefs.equals(actualRefs)) {
            throw new AssertionError(where + ": chunk refs " + actualRefs + " but manifests say " + expectedRefs);
        }
        try (Cursor c = v.scan(Table.UPLOADS, null, null, false)) {
            while (c.next()) {
                UploadLease l = Codec.decodeRecord(c.value(), UploadLease.class);
                Image img = Records.image(v, l.imageId());
                if (img == null || img.status() != l.kind().statusDuring()) {
                    throw new AssertionError(where + ": lease " + l + " on image in " + (img == null ? null : img.status()));
                }
            }
        }
        try (Cursor c = v.scan(Table.IMAGES, null, null, false)) {
            while (c.next()) checkImage(v, Codec.decodeRecord(c.value(), Image.class), where);
        }
        try (Cursor c = v.scan(Table.MEMBERS, null, null, false)) {
            while (c.next()) {
                Member m = Codec.decodeRecord(c.value(), Member.class);
                byte[] mirror = v.get(Table.SHARED_WITH, Records.join(m.memberId(), m.imageId()));
                if (mirror == null || !new String(mirror, java.nio.charset.StandardCharsets.UTF_8).equals(m.status().name())) {
                    throw new AssertionError(where + ": shared_with mirror missing or stale for " + m);
                }
            }
        }
        try (Cursor c = v.scan(Table.SHARED_WITH, null, null, false)) {
            while (c.next()) {
                String member = new String(c.key(), 0, indexOfZero(c.key()), java.nio.charset.StandardCharsets.UTF_8);
                if (Records.member(v, Records.secondPart(c.key()), member) == null) {
                    throw new AssertionError(where + ": shared_with entry without member " + member);
                }
            }
        }
        try (Cursor c = v.scan(Table.AUDIT_REPORTS, null, null, false)) {
            while (c.next()) {
                AuditReport r = Codec.decodeRecord(c.value(), AuditReport.class);
                AuditMark mark = Records.audit(v, r.auditId());
                if (mark == null || mark.logIndex() != r.markLogIndex() || r.reportJson() == null || r.reportJson().isEmpty()) {
                    throw new AssertionError(where + ": audit report " + r.auditId() + " without its mark, or empty");
                }
            }
        }
    }

    private static int indexOfZero(byte[] b) {
        for (int i = 0; i < b.length; i++) if (b[i] == 0) return i;
        return b.length;
    }

    private static void checkImage(KeyValueView v, Image img, String where) {
        ImageStatus s = img.status();
        UploadLease lease = Records.upload(v, img.id());
        ChunkManifest m = Records.manifest(v, img.id());
        String what = where + ": image " + img.id() + " in " + s;
        switch (s) {
            case QUEUED:
                if (img.size() != null || img.checksum() != null || img.virtualSize() != null
                        || img.osHashAlgo() != null || img.osHashValue() != null) {
                    throw new AssertionError(what + " has data fields (spec §3.2: entering queued resets them)");
                }
                if (m != null) throw new AssertionError(what + " has a manifest");
                break;
            case DELETED:
                if (m != null) throw new AssertionError(what + " has a manifest");
                break;
            case SAVING:
                if (lease == null || lease.kind() != UploadKind.UPLOAD) throw new AssertionError(what + " lease " + lease);
                if (m != null) throw new AssertionError(what + " has a manifest");
                break;
            case UPLOADING:
                if (lease == null && m == null) throw new AssertionError(what + " neither staging nor staged");
                if (lease != null && lease.kind() != UploadKind.STAGE) throw new AssertionError(what + " lease " + lease);
                if (img.checksum() != null) throw new AssertionError(what + " has a checksum");
                break;
            case IMPORTING:
                if (lease == null || lease.kind() != UploadKind.IMPORT) throw new AssertionError(what + " lease " + lease);
                break;
            case ACTIVE:
            case DEACTIVATED:
            case PENDING_DELETE:
                if (m == null) throw new AssertionError(what + " has no manifest");
                if (lease != null) throw new AssertionError(what + " holds a lease");
                if (img.checksum() == null || !img.checksum().equals(m.checksum())) {
                    throw new AssertionError(what + " checksum differs from the manifest");
                }
                break;
            default:
                throw new AssertionError(what + ": no command produces this status");
        }
        if (s.isGone() && !Records.members(v, img.id()).isEmpty()) throw new AssertionError(what + " has members");
        if (s.isGone() && lease != null) throw new AssertionError(what + " holds a lease");
    }
}
