package io.glint.registry.store;

/** One write of an applied entry: a put, or a delete when {@code value} is null. */
public record Mutation(Table table, byte[] key, byte[] value) {
    public boolean isDelete() {
        return value == null;
    }
}
