package io.glint.registry;

import io.glint.registry.command.Command;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;

import java.util.concurrent.CompletableFuture;

/**
 * What the rest of a node needs from the registry: propose a command and get its typed result,
 * read linearizably, or read this node's local copy (background services). Implemented by the
 * Ratis-backed {@code ratis.Registry} and by {@link DirectRegistry}, its single-process twin.
 */
public interface RegistryClient extends AutoCloseable {
    CompletableFuture<Result> propose(Command command);

    /** A read that sees every write acknowledged before it began (Raft read index). */
    CompletableFuture<Result> read(Query query);

    /** A read of the local copy: may lag the leader; for background services. */
    Result readLocal(Query query);

    @Override
    void close();
}
