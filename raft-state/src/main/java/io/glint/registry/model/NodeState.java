package io.glint.registry.model;

/** A node's membership state; only {@code UP} nodes take new placements. */
public enum NodeState { UP, DRAINING, DOWN, REMOVED }
