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

    /** Applies one command into {@code txn}; on a rejection the caller discards {@code txn}. */
    public static Result apply(Txn txn, long index, Command command) {
        return Result.invalid("apply is not available yet");
    }
}
