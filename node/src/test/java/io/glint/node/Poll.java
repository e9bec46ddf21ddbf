package io.glint.node;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The one way the node's tests wait: poll a condition, with a pause between polls, up to a bound. */
public final class Poll {
    private Poll() {}

    /**
     * Returns once {@code condition} holds; throws an AssertionError naming {@code what} when it
     * still does not after {@code bound}, or when the waiting thread is interrupted.
     */
    public static void until(Duration bound, Duration pause, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within " + bound.toMillis() + " ms: " + what.get());
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what.get(), e);
            }
        }
    }
}
