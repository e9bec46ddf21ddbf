package io.glint.registry.model;

import java.util.Locale;

/** Task lifecycle (spec §4.14): pending -> processing | failure; processing -> success | failure. */
public enum TaskStatus {
    PENDING, PROCESSING, SUCCESS, FAILURE;

    public boolean canMoveTo(TaskStatus next) {
        return switch (this) {
            case PENDING -> next == PROCESSING || next == FAILURE;
            case PROCESSING -> next == SUCCESS || next == FAILURE;
            case SUCCESS, FAILURE -> false;
        };
    }

    public boolean isFinal() {
        return this == SUCCESS || this == FAILURE;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
