package io.glint.registry.store;

/** A consistent point-in-time view of the tables; close it to release the snapshot. */
public interface ReadView extends KeyValueView, AutoCloseable {
    /** The last applied log index this view reflects. */
    long appliedIndex();

    @Override
    void close();
}
