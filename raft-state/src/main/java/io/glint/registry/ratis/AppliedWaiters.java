package io.glint.registry.ratis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Futures waiting for the local store to reach an applied index: the second half of a local
 * linearizable read (the leader tells the index to reach, this member waits for it, then reads its
 * own copy). Bounded: beyond {@code waitersMax} pending waits a new wait fails at once. A wait
 * that is abandoned (timed out or cancelled by its caller) is removed.
 */
final class AppliedWaiters {
    private final int waitersMax;
    private final TreeMap<Long, List<CompletableFuture<Void>>> byIndex = new TreeMap<>();
    private int count;
    private long reached = -1;
    private RuntimeException closed;

    AppliedWaiters(int waitersMax) {
        this.waitersMax = waitersMax;
    }

    CompletableFuture<Void> await(long index) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (this) {
            if (closed != null) return CompletableFuture.failedFuture(closed);
            if (index <= reached) return CompletableFuture.completedFuture(null);
            if (count >= waitersMax) {
                return CompletableFuture.failedFuture(new RegistryException(RegistryException.Reason.OVERLOADED,
                        RegistryException.Outcome.NOT_APPLIED, waitersMax + " reads already wait for this member"));
            }
            byIndex.computeIfAbsent(index, k -> new ArrayList<>(2)).add(f);
            count++;
        }
        f.whenComplete((v, e) -> {
            if (e != null) remove(index, f);
        });
        return f;
    }

    private synchronized void remove(long index, CompletableFuture<Void> f) {
        List<CompletableFuture<Void>> list = byIndex.get(index);
        if (list != null && list.remove(f)) {
            count--;
            if (list.isEmpty()) byIndex.remove(index);
        }
    }

    /** The store has applied {@code index}: release every wait for it or below. */
    void advance(long index) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            if (index <= reached) return;
            reached = index;
            Map<Long, List<CompletableFuture<Void>>> head = byIndex.headMap(index, true);
            for (List<CompletableFuture<Void>> list : head.values()) ready.addAll(list);
            count -= ready.size();
            head.clear();
        }
        for (CompletableFuture<Void> f : ready) f.complete(null);
    }

    /** The member closed: fail every wait, and every later one. */
    void failAll(RuntimeException e) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        synchronized (this) {
            closed = e;
            byIndex.values().forEach(all::addAll);
            byIndex.clear();
            count = 0;
        }
        for (CompletableFuture<Void> f : all) f.completeExceptionally(e);
    }
}
