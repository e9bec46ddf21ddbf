package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Tasks (spec §4.13, §4.14), nodes (DESIGN §7), audit marks (DESIGN §6) and cluster settings. */
class ClusterCommandsTest {
    private final MachineHarness h = new MachineHarness();

    private static Task newTask(String id, String imageId, TaskStatus status) {
        return new Task(id, "api_image_import", status, "alice", imageId, "req-1", "user-alice",
                "{\"import_req\":{}}", null, null, 1L, 2L, 3L);
    }

    private static NodeInfo node(String id, long capacityBytes) {
        return new NodeInfo(id, "http://" + id + ":9292", id + ":7000", id + ":9000", "zone-a", capacityBytes,
                NodeState.DOWN, 1L, 1L);
    }

    // --- tasks ----------------------------------------------------------------------------------

    @Test
    void createTaskStoresAPendingTaskStampedByTheCommand() {
        String image = uuid(1);
        Command.CreateTask c = new Command.CreateTask(h.tick(), newTask("t1", image, TaskStatus.PENDING));
        Task t = h.ok(c).value(Task.class);
        assertEquals(new Task("t1", "api_image_import", TaskStatus.PENDING, "alice", image, "req-1", "user-alice",
                "{\"import_req\":{}}", null, "", c.nowMillis(), c.nowMillis(), null), t);
        assertEquals(t, Records.task(h.store, "t1"));
        assertEquals(List.of(t), Records.tasksOfImage(h.store, image));
    }

    @Test
    void createTaskRejections() {
        h.ok(new Command.CreateTask(h.tick(), newTask("t1", null, TaskStatus.PENDING)));
        h.rejected(Code.CONFLICT, new Command.CreateTask(h.tick(), newTask("t1", null, TaskStatus.PENDING)));
        h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), null));
        h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), newTask(null, null, TaskStatus.PENDING)));
        h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), newTask("", null, TaskStatus.PENDING)));
        h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), newTask("a\0b", null, TaskStatus.PENDING)));
        h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), new Task("t2", null, TaskStatus.PENDING, null,
                null, null, null, null, null, null, 0, 0, null)));
        for (TaskStatus s : List.of(TaskStatus.PROCESSING, TaskStatus.SUCCESS, TaskStatus.FAILURE)) {
            h.rejected(Code.INVALID, new Command.CreateTask(h.tick(), newTask("t3", null, s)));
        }
    }

    @Test
    void taskLifecycle() {
        h.ok(new Command.CreateTask(h.tick(), newTask("t1", null, TaskStatus.PENDING)));
        Command.UpdateTask p = new Command.UpdateTask(h.tick(), "t1", TaskStatus.PROCESSING, null, null, null);
        Task processing = h.ok(p).value(Task.class);
        assertEquals(TaskStatus.PROCESSING, processing.status());
        assertEquals(p.nowMillis(), processing.updatedAtMillis());
        Task again = h.ok(new Command.UpdateTask(h.tick(), "t1", TaskStatus.PROCESSING, "copying", null, null))
                .value(Task.class);
        assertEquals("copying", again.message(), "progress messages while processing");
        Command.UpdateTask s = new Command.UpdateTask(h.tick(), "t1", TaskStatus.SUCCESS, null,
                "{\"image_id\":\"x\"}", 999L);
        Task done = h.ok(s).value(Task.class);
        assertEquals(TaskStatus.SUCCESS, done.status());
        assertEquals("{\"image_id\":\"x\"}", done.resultJson());
        assertEquals("copying", done.message(), "a null message keeps the previous one");
        assertEquals(999L, done.expiresAtMillis());
        assertEquals(processing.createdAtMillis(), done.createdAtMillis());
        assertEquals(done, Records.task(h.store, "t1"));
        for (TaskStatus back : List.of(TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.FAILURE)) {
            h.rejected(Code.CONFLICT, new Command.UpdateTask(h.tick(), "t1", back, null, null, null));
        }
    }

    @Test
    void taskTransitionTable() {
        int n = 0;
        for (TaskStatus from : TaskStatus.values()) {
            for (TaskStatus to : TaskStatus.values()) {
                String id = "t" + (n++);
                h.ok(new Command.CreateTask(h.tick(), newTask(id, null, TaskStatus.PENDING)));
                if (from == TaskStatus.PROCESSING || from == TaskStatus.SUCCESS) {
                    h.ok(new Command.UpdateTask(h.tick(), id, TaskStatus.PROCESSING, null, null, null));
                }
                if (from.isFinal()) h.ok(new Command.UpdateTask(h.tick(), id, from, null, null, null));
                assertEquals(from, Records.task(h.store, id).status());
                Command.UpdateTask u = new Command.UpdateTask(h.tick(), id, to, null, null, null);
                boolean allowed = from == to || from.canMoveTo(to);
                if (allowed) h.ok(u);
                else h.rejected(Code.CONFLICT, u, from + " -> " + to);
            }
        }
        assertEquals(List.of(TaskStatus.PROCESSING, TaskStatus.FAILURE), List.of(TaskStatus.values()).stream()
                .filter(TaskStatus.PENDING::canMoveTo).toList());
        assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.FAILURE), List.of(TaskStatus.values()).stream()
                .filter(TaskStatus.PROCESSING::canMoveTo).toList());
    }

    @Test
    void updateTaskRejections() {
        h.rejected(Code.NOT_FOUND, new Command.UpdateTask(h.tick(), "nope", TaskStatus.PROCESSING, null, null, null));
        h.rejected(Code.NOT_FOUND, new Command.UpdateTask(h.tick(), null, TaskStatus.PROCESSING, null, null, null));
        h.ok(new Command.CreateTask(h.tick(), newTask("t1", null, TaskStatus.PENDING)));
        h.rejected(Code.INVALID, new Command.UpdateTask(h.tick(), "t1", null, null, null, null));
        h.rejected(Code.CONFLICT, new Command.UpdateTask(h.tick(), "t1", TaskStatus.SUCCESS, null, null, null));
    }

    // --- nodes ----------------------------------------------------------------------------------

    @Test
    void joinRegistersTheNodeUp() {
        Command.JoinNode j = new Command.JoinNode(h.tick(), node("n1", 1000));
        NodeInfo n = h.ok(j).value(NodeInfo.class);
        assertEquals(new NodeInfo("n1", "http://n1:9292", "n1:7000", "n1:9000", "zone-a", 1000, NodeState.UP,
                j.nowMillis(), j.nowMillis()), n);
        assertEquals(n, Records.node(h.store, "n1"));
    }

    @Test
    void rejoinUpdatesAddressesKeepsJoinedAt() {
        Command.JoinNode first = new Command.JoinNode(h.tick(), node("n1", 1000));
        h.ok(first);
        h.ok(new Command.UpdateNode(h.tick(), "n1", NodeState.DOWN, null));
        NodeInfo moved = new NodeInfo("n1", "http://other:9292", "other:7000", "other:9000", "zone-b", 2000,
                NodeState.DOWN, 5L, 5L);
        Command.JoinNode again = new Command.JoinNode(h.tick(), moved);
        NodeInfo n = h.ok(again).value(NodeInfo.class);
        assertEquals(new NodeInfo("n1", "http://other:9292", "other:7000", "other:9000", "zone-b", 2000,
                NodeState.UP, first.nowMillis(), again.nowMillis()), n);
    }

    @Test
    void aDrainingNodeThatRestartsStaysDraining() {
        h.ok(new Command.JoinNode(h.tick(), node("n1", 1000)));
        h.ok(new Command.UpdateNode(h.tick(), "n1", NodeState.DRAINING, null));
        Command.JoinNode again = new Command.JoinNode(h.tick(), node("n1", 1000));
        NodeInfo n = h.ok(again).value(NodeInfo.class);
        assertEquals(NodeState.DRAINING, n.state(), "a restart does not cancel an operator's drain");
        assertEquals(again.nowMillis(), n.updatedAtMillis());
    }

    @Test
    void joinRejections() {
        h.rejected(Code.INVALID, new Command.JoinNode(h.tick(), null));
        h.rejected(Code.INVALID, new Command.JoinNode(h.tick(), node(null, 1)));
        h.rejected(Code.INVALID, new Command.JoinNode(h.tick(), node("", 1)));
        h.rejected(Code.INVALID, new Command.JoinNode(h.tick(), node("n1", -1)));
    }

    @Test
    void updateNodeChangesStateAndOrCapacity() {
        h.ok(new Command.JoinNode(h.tick(), node("n1", 1000)));
        NodeInfo d = h.ok(new Command.UpdateNode(h.tick(), "n1", NodeState.DRAINING, null)).value(NodeInfo.class);
        assertEquals(NodeState.DRAINING, d.state());
        assertEquals(1000, d.capacityBytes());
        Command.UpdateNode u = new Command.UpdateNode(h.tick(), "n1", null, 5000L);
        NodeInfo c = h.ok(u).value(NodeInfo.class);
        assertEquals(NodeState.DRAINING, c.state());
        assertEquals(5000, c.capacityBytes());
        assertEquals(u.nowMillis(), c.updatedAtMillis());
        h.rejected(Code.INVALID, new Command.UpdateNode(h.tick(), "n1", null, -1L));
        h.rejected(Code.NOT_FOUND, new Command.UpdateNode(h.tick(), "n2", NodeState.UP, null));
        h.rejected(Code.NOT_FOUND, new Command.UpdateNode(h.tick(), null, NodeState.UP, null));
    }

    @Test
    void aRemovedNodeStaysRemoved() {
        h.ok(new Command.JoinNode(h.tick(), node("n1", 1000)));
        NodeInfo r = h.ok(new Command.RemoveNode(h.tick(), "n1")).value(NodeInfo.class);
        assertEquals(NodeState.REMOVED, r.state());
        RegistryMachine.Applied again = h.entryApplied(List.of(new Command.RemoveNode(h.tick(), "n1")));
        assertEquals(r, again.results().get(0).value(NodeInfo.class), "removing twice is a no-op");
        assertEquals(List.of(), again.mutations());
        h.rejected(Code.CONFLICT, new Command.JoinNode(h.tick(), node("n1", 1000)));
        h.rejected(Code.CONFLICT, new Command.UpdateNode(h.tick(), "n1", NodeState.UP, null));
        h.rejected(Code.NOT_FOUND, new Command.RemoveNode(h.tick(), "n2"));
        h.rejected(Code.NOT_FOUND, new Command.RemoveNode(h.tick(), null));
        assertEquals(NodeState.REMOVED, Records.node(h.store, "n1").state());
    }

    // --- audit marks ----------------------------------------------------------------------------

    @Test
    void markAuditRecordsTheLogIndexItWasAppliedAt() {
        h.ok(new Command.JoinNode(h.tick(), node("n1", 1)));
        Command.MarkAudit m = new Command.MarkAudit(h.tick(), "a1", "admin");
        AuditMark mark = h.ok(m).value(AuditMark.class);
        assertEquals(new AuditMark("a1", h.index(), m.nowMillis(), "admin"), mark);
        assertEquals(mark, Records.audit(h.store, "a1"));
        h.rejected(Code.CONFLICT, new Command.MarkAudit(h.tick(), "a1", "admin"));
        h.rejected(Code.INVALID, new Command.MarkAudit(h.tick(), null, "admin"));
        h.rejected(Code.INVALID, new Command.MarkAudit(h.tick(), "", "admin"));
    }

    @Test
    void marksInOneBatchShareTheEntrysIndex() {
        var results = h.entry(new Command.MarkAudit(1, "a1", "x"), new Command.MarkAudit(2, "a2", "x"));
        assertEquals(h.index(), results.get(0).value(AuditMark.class).logIndex());
        assertEquals(h.index(), results.get(1).value(AuditMark.class).logIndex());
    }

    // --- cluster settings -----------------------------------------------------------------------

    @Test
    void settingsDefaultAndChange() {
        assertEquals(ClusterSettings.DEFAULTS, Records.settings(h.store));
        ClusterSettings s = new ClusterSettings(64, 10, 20, 30);
        assertEquals(s, h.ok(new Command.SetClusterSettings(s)).value(ClusterSettings.class));
        assertEquals(s, Records.settings(h.store));
        h.rejected(Code.INVALID, new Command.SetClusterSettings(null));
    }

    @Test
    void placementGroupCountIsFrozenOnceChunksAreReferenced() {
        String id = uuid(1);
        h.active(ALICE, id, 1);
        h.rejected(Code.CONFLICT, new Command.SetClusterSettings(new ClusterSettings(256, 128, 128, 128)));
        ClusterSettings quotas = new ClusterSettings(512, 5, 5, 5);
        h.ok(new Command.SetClusterSettings(quotas));
        assertEquals(quotas, Records.settings(h.store), "other settings may still change");
        h.ok(h.delete(ALICE, id, false));
        ClusterSettings pgs = new ClusterSettings(256, 5, 5, 5);
        h.ok(new Command.SetClusterSettings(pgs));
        assertEquals(pgs, Records.settings(h.store), "with no chunk referenced the count may change again");
        h.active(ALICE, uuid(2), 1);
        assertEquals(1, h.refs(MachineHarness.chunkId(1)), "counts are filed under the new group count");
    }

    @Test
    void aStagedChunkAlsoFreezesThePlacementGroupCount() {
        String id = uuid(1);
        h.queued(ALICE, id);
        h.upload(ALICE, id, io.glint.registry.model.UploadKind.STAGE, MachineHarness.manifest(id, 1));
        h.rejected(Code.CONFLICT, new Command.SetClusterSettings(new ClusterSettings(8, 128, 128, 128)));
        assertNull(Records.upload(h.store, id));
    }
}
