package io.glint.registry.query;

import io.glint.registry.model.AuditMark;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ChunkRef;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Policy;
import io.glint.registry.model.Result;
import io.glint.registry.model.Task;
import io.glint.registry.model.UploadLease;
import io.glint.registry.model.Visibility;
import io.glint.registry.command.Codec;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Answers every {@link Query} over a view. Pure: reads only the view it is given. */
public final class QueryEngine {
    private QueryEngine() {}

    /** Dispatches on the query type (a chain of instanceof tests: pattern switches need Java 21). */
    public static Result run(KeyValueView view, long appliedIndex, Query query) {
        if (query instanceof Query.GetImage q) return getImage(view, q.caller(), q.imageId());
        if (query instanceof Query.GetImageRecord q) return found(Records.image(view, q.imageId()), "image " + q.imageId());
        if (query instanceof Query.ListImages q) return ImageLister.list(view, q.request());
        if (query instanceof Query.GetManifest q) return found(Records.manifest(view, q.imageId()), "manifest of " + q.imageId());
        if (query instanceof Query.GetImageData q) return getImageData(view, q.caller(), q.imageId());
        if (query instanceof Query.ListMembers q) return listMembers(view, q.caller(), q.imageId());
        if (query instanceof Query.GetMember q) return getMember(view, q.caller(), q.imageId(), q.memberId());
        if (query instanceof Query.SharedWith q) return Result.ok(new Member.Members(Records.sharedWith(view, q.projectId())));
        if (query instanceof Query.ChunkRefs q) return Result.ok(chunkRefs(view, q.placementGroup()));
        if (query instanceof Query.ListNodes q) return Result.ok(new NodeInfo.Nodes(nodes(view)));
        if (query instanceof Query.GetNode q) return found(Records.node(view, q.nodeId()), "node " + q.nodeId());
        if (query instanceof Query.GetTask q) return found(Records.task(view, q.taskId()), "task " + q.taskId());
        if (query instanceof Query.TasksOfImage q) return tasksOfImage(view, q.caller(), q.imageId());
        if (query instanceof Query.GetUpload q) return found(Records.upload(view, q.imageId()), "upload of " + q.imageId());
        if (query instanceof Query.GetAudit q) return found(Records.audit(view, q.auditId()), "audit " + q.auditId());
        if (query instanceof Query.GetAuditReport q) {
            return found(q.auditId() == null ? null : Records.auditReport(view, q.auditId()), "audit report " + q.auditId());
        }
        if (query instanceof Query.ListAudits q) return listAudits(view, q);
        if (query instanceof Query.GetSettings q) return Result.ok(Records.settings(view));
        if (query instanceof Query.Digest q) return Result.ok(new Payload.Digest(appliedIndex, StateDigest.hex(view)));
        if (query instanceof Query.ScanImages q) return scanImages(view, q);
        if (query instanceof Query.ScanUploads q) return scanUploads(view, q);
        throw new IllegalArgumentException("unknown query " + query);
    }

    private static Result found(Payload p, String what) {
        return p == null ? Result.notFound(what + " not found") : Result.ok(p);
    }

    /** The image if {@code caller} may see it; NOT_FOUND otherwise (spec §5.6). */
    public static Image visibleImage(KeyValueView view, Identity caller, String imageId) {
        Image image = Records.image(view, imageId);
        if (image == null) return null;
        MemberStatus membership = Records.membership(view, imageId, caller.projectId());
        return Policy.canSee(caller, image, membership) ? image : null;
    }

    private static Result getImage(KeyValueView view, Identity caller, String imageId) {
        Image image = visibleImage(view, caller, imageId);
        return image == null ? Result.notFound("No image found with ID " + imageId) : Result.ok(image);
    }

    private static Result getImageData(KeyValueView view, Identity caller, String imageId) {
        Image image = visibleImage(view, caller, imageId);
        if (image == null) return Result.notFound("No image found with ID " + imageId);
        return Result.ok(new Payload.ImageData(image, Records.manifest(view, imageId)));
    }

    private static Result listMembers(KeyValueView view, Identity caller, String imageId) {
        Image image = visibleImage(view, caller, imageId);
        if (image == null) return Result.notFound("No image found with ID " + imageId);
        if (image.visibility() != Visibility.SHARED) {
            return Result.forbidden("Only shared images have members.");
        }
        List<Member> all = Records.members(view, imageId);
        if (Policy.canModify(caller, image)) return Result.ok(new Member.Members(all));
        List<Member> own = all.stream().filter(m -> m.memberId().equals(caller.projectId())).toList();
        return Result.ok(new Member.Members(own));
    }

    private static Result getMember(KeyValueView view, Identity caller, String imageId, String memberId) {
        Image image = visibleImage(view, caller, imageId);
        String missing = "Member " + memberId + " not found for image " + imageId;
        if (image == null || image.visibility() != Visibility.SHARED) return Result.notFound(missing);
        boolean allowed = Policy.canModify(caller, image) || memberId.equals(caller.projectId());
        Member m = Records.member(view, imageId, memberId);
        return allowed && m != null ? Result.ok(m) : Result.notFound(missing);
    }

    private static Result tasksOfImage(KeyValueView view, Identity caller, String imageId) {
        Image image = visibleImage(view, caller, imageId);
        if (image == null) return Result.notFound("No image found with ID " + imageId);
        return Result.ok(new Task.Tasks(Records.tasksOfImage(view, imageId)));
    }

    private static ChunkRef.Refs chunkRefs(KeyValueView view, int pg) {
        List<ChunkRef> out = new ArrayList<>();
        byte[] p = ByteBuffer.allocate(4).putInt(pg).array();
        try (Cursor c = view.scan(Table.CHUNKREFS, p, Bytes.prefixEnd(p), false)) {
            while (c.next()) {
                String id = new String(c.key(), 4, c.key().length - 4, StandardCharsets.UTF_8);
                ByteBuffer v = ByteBuffer.wrap(c.value());
                long count = v.getLong();
                // A reference written before lengths were kept (8 bytes) says length 0: unknown.
                out.add(v.remaining() >= 8 ? new ChunkRef(pg, id, count, v.getInt(), v.getInt()) : new ChunkRef(pg, id, count, 0, 0));
            }
        }
        return new ChunkRef.Refs(pg, out);
    }

    private static List<NodeInfo> nodes(KeyValueView view) {
        List<NodeInfo> out = new ArrayList<>();
        try (Cursor c = view.scan(Table.NODES, null, null, false)) {
            while (c.next()) out.add(Codec.decodeRecord(c.value(), NodeInfo.class));
        }
        return out;
    }


    private static Result listAudits(KeyValueView view, Query.ListAudits q) {
        int limit = Math.max(1, Math.min(Query.ListAudits.LIMIT_MAX, q.limit()));
        List<AuditMark> marks = Records.auditsBefore(view, q.beforeAuditId(), limit + 1);
        if (marks.size() <= limit) return Result.ok(new AuditMark.Marks(marks, null));
        List<AuditMark> page = marks.subList(0, limit);
        return Result.ok(new AuditMark.Marks(page, page.get(limit - 1).auditId()));
    }

    /** At most this many records per scan call, whatever the caller asks for. */
    static final int SCAN_LIMIT_MAX = 10_000;

    private static Result scanImages(KeyValueView view, Query.ScanImages q) {
        int limit = Math.max(1, Math.min(SCAN_LIMIT_MAX, q.scanLimit()));
        List<Image> out = new ArrayList<>();
        String last = null;
        int read = 0;
        byte[] from = q.afterImageId() == null ? null : Bytes.successor(q.afterImageId().getBytes(StandardCharsets.UTF_8));
        try (Cursor c = view.scan(Table.IMAGES, from, null, false)) {
            while (read < limit && c.next()) {
                read++;
                Image image = Codec.decodeRecord(c.value(), Image.class);
                last = image.id();
                if (q.status() == null || image.status() == q.status()) out.add(image);
            }
            return Result.ok(new Payload.ImageScan(out, read == limit && c.next() ? last : null));
        }
    }

    private static Result scanUploads(KeyValueView view, Query.ScanUploads q) {
        int limit = Math.max(1, Math.min(SCAN_LIMIT_MAX, q.limit()));
        List<UploadLease> out = new ArrayList<>();
        byte[] from = q.afterImageId() == null ? null : Bytes.successor(q.afterImageId().getBytes(StandardCharsets.UTF_8));
        try (Cursor c = view.scan(Table.UPLOADS, from, null, false)) {
            while (out.size() < limit && c.next()) out.add(Codec.decodeRecord(c.value(), UploadLease.class));
            return Result.ok(new Payload.UploadScan(out, out.size() == limit && c.next() ? out.get(limit - 1).imageId() : null));
        }
    }
}
