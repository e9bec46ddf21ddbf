package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Formats;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;

/** Tasks, nodes, audit marks and cluster settings. */
final class ClusterCommands {
    private ClusterCommands() {}

    static Result createTask(Txn txn, Command.CreateTask c) {
        Task t = c.task();
        if (t == null || !Formats.isKeySafe(t.id()) || t.type() == null) {
            return Result.invalid("a task needs an id and a type");
        }
        if (t.status() != TaskStatus.PENDING) return Result.invalid("a new task must be pending");
        if (Records.task(txn, t.id()) != null) return Result.conflict("Task " + t.id() + " already exists");
        Task stored = new Task(t.id(), t.type(), TaskStatus.PENDING, t.owner(), t.imageId(), t.requestId(),
                t.userId(), t.inputJson(), t.resultJson(), t.message() == null ? "" : t.message(), c.nowMillis(),
                c.nowMillis(), null);
        Records.putTask(txn, stored);
        return Result.ok(stored);
    }

    static Result updateTask(Txn txn, Command.UpdateTask c) {
        Task t = c.taskId() == null ? null : Records.task(txn, c.taskId());
        if (t == null) return Result.notFound("Task " + c.taskId() + " not found");
        if (c.status() == null) return Result.invalid("status is required");
        if (c.status() != t.status() && !t.status().canMoveTo(c.status())) {
            return Result.conflict("Task " + t.id() + " can not move from " + t.status().wire() + " to "
                    + c.status().wire());
        }
        Task after = new Task(t.id(), t.type(), c.status(), t.owner(), t.imageId(), t.requestId(), t.userId(),
                t.inputJson(), c.resultJson() != null ? c.resultJson() : t.resultJson(),
                c.message() != null ? c.message() : t.message(), t.createdAtMillis(),
                Times.updatedAt(c.nowMillis(), t.createdAtMillis(), t.updatedAtMillis()),
                c.expiresAtMillis() != null ? c.expiresAtMillis() : t.expiresAtMillis());
        Records.putTask(txn, after);
        return Result.ok(after);
    }

    static Result joinNode(Txn txn, Command.JoinNode c) {
        NodeInfo n = c.node();
        if (n == null || !Formats.isKeySafe(n.id())) return Result.invalid("a node needs an id");
        if (n.capacityBytes() < 0) return Result.invalid("capacity must be >= 0");
        NodeInfo existing = Records.node(txn, n.id());
        if (existing != null && existing.state() == NodeState.REMOVED) {
            return Result.conflict("Node " + n.id() + " was removed; join with a new id");
        }
        long joined = existing == null ? c.nowMillis() : existing.joinedAtMillis();
        // A restarted node joins again: it comes back UP unless an operator is draining it.
        NodeState state = existing != null && existing.state() == NodeState.DRAINING ? NodeState.DRAINING : NodeState.UP;
        NodeInfo stored = new NodeInfo(n.id(), n.httpAddress(), n.peerAddress(), n.raftAddress(), n.zone(),
                n.capacityBytes(), state, joined, c.nowMillis());
        Records.putNode(txn, stored);
        return Result.ok(stored);
    }

    static Result updateNode(Txn txn, Command.UpdateNode c) {
        NodeInfo n = c.nodeId() == null ? null : Records.node(txn, c.nodeId());
        if (n == null) return Result.notFound("Node " + c.nodeId() + " not found");
        if (n.state() == NodeState.REMOVED) return Result.conflict("Node " + c.nodeId() + " was removed");
        if (c.capacityBytes() != null && c.capacityBytes() < 0) return Result.invalid("capacity must be >= 0");
        NodeInfo after = new NodeInfo(n.id(), n.httpAddress(), n.peerAddress(), n.raftAddress(), n.zone(),
                c.capacityBytes() != null ? c.capacityBytes() : n.capacityBytes(),
                c.state() != null ? c.state() : n.state(), n.joinedAtMillis(), c.nowMillis());
        Records.putNode(txn, after);
        return Result.ok(after);
    }

    static Result removeNode(Txn txn, Command.RemoveNode c) {
        NodeInfo n = c.nodeId() == null ? null : Records.node(txn, c.nodeId());
        if (n == null) return Result.notFound("Node " + c.nodeId() + " not found");
        if (n.state() == NodeState.REMOVED) return Result.ok(n);
        NodeInfo after = new NodeInfo(n.id(), n.httpAddress(), n.peerAddress(), n.raftAddress(), n.zone(),
                n.capacityBytes(), NodeState.REMOVED, n.joinedAtMillis(), c.nowMillis());
        Records.putNode(txn, after);
        return Result.ok(after);
    }

    static Result markAudit(Txn txn, long index, Command.MarkAudit c) {
        if (!Formats.isKeySafe(c.auditId())) return Result.invalid("an audit needs an id");
        if (Records.audit(txn, c.auditId()) != null) return Result.conflict("Audit " + c.auditId() + " exists");
        AuditMark mark = new AuditMark(c.auditId(), index, c.nowMillis(), c.requestedBy());
        Records.putAudit(txn, mark);
        return Result.ok(mark);
    }

    static Result saveAuditReport(Txn txn, Command.SaveAuditReport c) {
        if (!Formats.isKeySafe(c.auditId())) return Result.invalid("an audit report needs an audit id");
        String json = c.reportJson();
        if (json == null || json.isEmpty()) return Result.invalid("an audit report can not be empty");
        long bytes = utf8Length(json);
        if (bytes > Command.SaveAuditReport.REPORT_MAX_UTF8_BYTES) {
            return Result.invalid("an audit report is at most " + Command.SaveAuditReport.REPORT_MAX_UTF8_BYTES
                    + " bytes of UTF-8, not " + bytes);
        }
        AuditMark mark = Records.audit(txn, c.auditId());
        if (mark == null) return Result.notFound("Audit " + c.auditId() + " not found");
        AuditReport report = new AuditReport(mark.auditId(), mark.logIndex(), c.nowMillis(), json);
        Records.putAuditReport(txn, report);
        return Result.ok(report);
    }

    /**
     * The length of {@code s} encoded as UTF-8, without encoding it. An unpaired surrogate (not
     * valid UTF-16) counts 3 bytes, the most an encoder writes for it, so the bound stays safe.
     */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) n += 1;
            else if (ch < 0x800) n += 2;
            else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    static Result setSettings(Txn txn, Command.SetClusterSettings c) {
        ClusterSettings next = c.settings();
        if (next == null) return Result.invalid("settings are required");
        ClusterSettings current = Records.settings(txn);
        if (next.placementGroups() != current.placementGroups() && anyChunkReferenced(txn)) {
            return Result.conflict("The placement-group count can not change once chunks are stored");
        }
        Records.putSettings(txn, next);
        return Result.ok(next);
    }

    private static boolean anyChunkReferenced(Txn txn) {
        try (Cursor cur = txn.scan(Table.CHUNKREFS, null, null, false)) {
            return cur.next();
        }
    }
}
