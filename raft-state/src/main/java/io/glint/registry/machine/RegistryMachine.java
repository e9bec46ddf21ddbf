package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Result;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.Txn;

import java.util.ArrayList;
import java.util.List;

/**
 * The registry state machine's pure core: {@code apply(index, command, view) -> result + writes}
 * (STYLE §3). It reads only the command and the state it is given; it never reads a clock, a
 * random source, the network or the chunk store, so every member that applies the same log ends
 * with the same bytes.
 */
public final class RegistryMachine {
    private RegistryMachine() {}

    /** What one log entry did: a result per command, in order, and the writes to commit. */
    public record Applied(List<Result> results, List<Mutation> mutations) {}

    /**
     * Applies the commands of one log entry (one command, or a group-committed batch) in order over
     * {@code base}. Each command sees the writes of the ones before it; a rejected command writes
     * nothing.
     */
    public static Applied applyEntry(KeyValueView base, long index, List<Command> commands) {
        Txn entry = new Txn(base);
        List<Result> results = new ArrayList<>(commands.size());
        for (Command c : commands) {
            Txn one = new Txn(entry);
            Result r = apply(one, index, c);
            if (r.isOk()) one.mergeInto(entry);
            results.add(r);
        }
        return new Applied(List.copyOf(results), entry.mutations());
    }

    /**
     * Applies one command into {@code txn}; on a rejection the caller discards {@code txn}. One
     * handler per command; the dispatch is a chain of instanceof tests (pattern switches need
     * Java 21).
     */
    public static Result apply(Txn txn, long index, Command command) {
        Command c = command;
        if (c instanceof Command.CreateImage x) return ImageCommands.create(txn, x);
        if (c instanceof Command.PatchImage x) return ImageCommands.patch(txn, x);
        if (c instanceof Command.AddTag x) return ImageCommands.addTag(txn, x);
        if (c instanceof Command.RemoveTag x) return ImageCommands.removeTag(txn, x);
        if (c instanceof Command.Deactivate x) {
            return ImageCommands.setActive(txn, x.actor(), x.nowMillis(), x.imageId(), false);
        }
        if (c instanceof Command.Reactivate x) {
            return ImageCommands.setActive(txn, x.actor(), x.nowMillis(), x.imageId(), true);
        }
        if (c instanceof Command.DeleteImage x) return ImageCommands.delete(txn, x);
        if (c instanceof Command.PurgeImage x) return ImageCommands.purge(txn, x);
        if (c instanceof Command.BeginUpload x) return UploadCommands.begin(txn, x);
        if (c instanceof Command.CommitUpload x) return UploadCommands.commit(txn, x);
        if (c instanceof Command.AbortUpload x) return UploadCommands.abort(txn, x);
        if (c instanceof Command.RenewLease x) return UploadCommands.renew(txn, x);
        if (c instanceof Command.ExpireLease x) return UploadCommands.expire(txn, x);
        if (c instanceof Command.AddMember x) return MemberCommands.add(txn, x);
        if (c instanceof Command.UpdateMember x) return MemberCommands.update(txn, x);
        if (c instanceof Command.RemoveMember x) return MemberCommands.remove(txn, x);
        if (c instanceof Command.CreateTask x) return ClusterCommands.createTask(txn, x);
        if (c instanceof Command.UpdateTask x) return ClusterCommands.updateTask(txn, x);
        if (c instanceof Command.JoinNode x) return ClusterCommands.joinNode(txn, x);
        if (c instanceof Command.UpdateNode x) return ClusterCommands.updateNode(txn, x);
        if (c instanceof Command.RemoveNode x) return ClusterCommands.removeNode(txn, x);
        if (c instanceof Command.MarkAudit x) return ClusterCommands.markAudit(txn, index, x);
        if (c instanceof Command.SetClusterSettings x) return ClusterCommands.setSettings(txn, x);
        if (c instanceof Command.SaveAuditReport x) return ClusterCommands.saveAuditReport(txn, x);
        throw new IllegalArgumentException("unknown command " + command);
    }
}
