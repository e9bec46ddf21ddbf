package io.glint.node.cluster;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * How long a watched value (a node's heartbeat stamp, a lease's expiry) has stayed the same, by
 * the watcher's own clock, from the moment it first saw the current value. Used where a value
 * written on another machine says "still alive": its contents are never compared with this
 * machine's clock (late by a commit, off by that machine's skew), only whether it changes.
 * Not thread-safe: one background service owns it. Bounded by the keys it is shown
 * ({@link #retainOnly} drops the rest).
 */
public final class Unchanged {
    private record Seen(long value, long sinceMillis) {}

    private final Map<String, Seen> seen = new HashMap<>();

    /**
     * Notes {@code value} for {@code key} at {@code nowMillis}; returns for how long it has been
     * unchanged (0 when it is new or has just changed).
     */
    public long observe(String key, long value, long nowMillis) {
        Seen s = seen.get(key);
        if (s == null || s.value() != value) {
            seen.put(key, new Seen(value, nowMillis));
            return 0;
        }
        return nowMillis - s.sinceMillis();
    }

    /** Stops watching {@code key}: its next value counts as new. */
    public void forget(String key) {
        seen.remove(key);
    }

    /** Keeps only these keys. */
    public void retainOnly(Collection<String> keys) {
        seen.keySet().retainAll(keys);
    }

    /** Forgets everything (a leader that takes office again watches afresh). */
    public void clear() {
        seen.clear();
    }
}
