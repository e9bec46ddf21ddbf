package io.glint.registry.command;

/**
 * One operation of an image PATCH (spec §4.4.3), already parsed from the JSON patch document:
 * {@code field} is the single path segment, unescaped ({@code "/os~1distro"} arrives as
 * {@code "os/distro"}). {@code value} is null for {@code remove}.
 */
public record PatchOp(Op op, String field, PatchValue value) {
    public enum Op { ADD, REPLACE, REMOVE }
}
