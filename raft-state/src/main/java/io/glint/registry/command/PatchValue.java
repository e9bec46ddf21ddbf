package io.glint.registry.command;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;

/**
 * A typed JSON value carried by a patch operation. Typed rather than {@code Object} so that a
 * command decodes to exactly what was encoded (a JSON number is always a {@code long} here).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@v")
@JsonSubTypes({
        @JsonSubTypes.Type(value = PatchValue.Str.class, name = "s"),
        @JsonSubTypes.Type(value = PatchValue.Bool.class, name = "b"),
        @JsonSubTypes.Type(value = PatchValue.Num.class, name = "n"),
        @JsonSubTypes.Type(value = PatchValue.StrList.class, name = "l"),
        @JsonSubTypes.Type(value = PatchValue.Null.class, name = "z"),
})
public sealed interface PatchValue {
    record Str(String value) implements PatchValue {}

    record Bool(boolean value) implements PatchValue {}

    record Num(long value) implements PatchValue {}

    record StrList(List<String> value) implements PatchValue {
        public StrList {
            value = List.copyOf(value);
        }
    }

    record Null() implements PatchValue {}

    static PatchValue of(String s) {
        return s == null ? new Null() : new Str(s);
    }
}
