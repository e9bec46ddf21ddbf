package io.glint.registry.store;

import java.util.List;

/**
 * Where the registry's tables live: RocksDB in production, {@link InMemoryStore} as its twin.
 * One applied log entry is one {@link #commit}: its mutations and the new applied index land
 * atomically, so a restart resumes exactly after the last entry that was stored.
 */
public interface RegistryStore extends KeyValueView, AutoCloseable {

    /** The term and index of the last committed entry; (0, 0) for a fresh store. */
    AppliedIndex applied();

    /** Atomically applies {@code mutations} and records {@code (term, index)} as applied. */
    void commit(List<Mutation> mutations, long term, long index);

    /** A consistent view for queries that read several keys. */
    ReadView openReadView();

    @Override
    void close();

    record AppliedIndex(long term, long index) {
        public static final AppliedIndex NONE = new AppliedIndex(0, 0);
    }
}
