package io.glint.node.image;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one at a time, in submission order, on a shared executor, without owning a thread.
 * The whole-image digests (MD5, SHA-512) must see the chunks in order, but each upload should not
 * need threads of its own; a lane per digest per upload gives both. The queue is bounded by the
 * caller: ImageWriter never has more tasks queued than chunk buffers in flight.
 */
final class SerialLane {
    private final Executor executor;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean draining;

    SerialLane(Executor executor) {
        this.executor = executor;
    }

    /** Queues a task that must not throw. A rejecting executor makes the caller run the lane. */
    void submit(Runnable task) {
        synchronized (this) {
            queue.add(task);
            if (draining) return;
            draining = true;
        }
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            drain();
        }
    }

    /** Runs queued tasks until the queue is empty; at most as many as the caller keeps in flight. */
    private void drain() {
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    draining = false;
                    return;
                }
            }
            next.run();
        }
    }
}
