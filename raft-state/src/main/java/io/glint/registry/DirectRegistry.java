package io.glint.registry;

import io.glint.registry.command.Command;
import io.glint.registry.machine.RegistryMachine;
import io.glint.registry.model.AuditDigest;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import io.glint.registry.query.QueryEngine;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.RegistryStore;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The registry without consensus: every command is one entry applied in order to a store. It is
 * the same pure machine and the same store as a Ratis member uses, minus the log; HTTP-level tests
 * use it where replication is not what they are about.
 */
public final class DirectRegistry implements RegistryClient {
    private final RegistryStore store;
    private long index;
    private final AuditDigester digester = new AuditDigester("direct");

    public DirectRegistry(RegistryStore store) {
        this.store = store;
        this.index = store.applied().index();
    }

    @Override
    public synchronized CompletableFuture<Result> propose(Command command) {
        long next = index + 1;
        RegistryMachine.Applied applied = RegistryMachine.applyEntry(store, next, List.of(command));
        store.commit(applied.mutations(), 1, next);
        index = next;
        List<String> marks = AuditDigester.marksOf(List.of(command), applied.results());
        if (!marks.isEmpty()) digester.submit(marks, next, store.openReadView());
        return CompletableFuture.completedFuture(applied.results().get(0));
    }

    @Override
    public CompletableFuture<Result> read(Query query) {
        return CompletableFuture.completedFuture(readLocal(query));
    }

    @Override
    public Result readLocal(Query query) {
        try (ReadView view = store.openReadView()) {
            return QueryEngine.run(view, view.appliedIndex(), query);
        }
    }

    /** The digest of the state at an audit mark proposed here, as a Ratis member computes it. */
    public Optional<AuditDigest> auditDigest(String auditId) {
        return digester.get(auditId);
    }

    @Override
    public void close() {
        digester.close();
        store.close();
    }
}
