package io.glint.registry;

import io.glint.registry.command.Command;
import io.glint.registry.model.AuditDigest;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.Result;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.StateDigest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * One member's side of the registry audit (DESIGN §6): when the member applies an entry holding a
 * successful {@link Command.MarkAudit}, the thread that applies entries hands this class a
 * point-in-time view taken right after that entry was committed, and one background thread
 * computes the {@link StateDigest} of it, then releases the view. The apply thread never hashes.
 *
 * <p><b>What is hashed.</b> Every table, META included, exactly as {@link StateDigest} does for
 * {@code Query.Digest}; nothing is excluded. META holds the applied (term, index) and the cluster
 * settings: at the same log index both are equal on every member (the term is that of the entry,
 * which is the same everywhere), so they belong in a digest that must match across members. The
 * view holds the whole entry at {@code logIndex}: when the mark was group-committed with other
 * commands, the ones after it in the same entry are included on every member alike.
 *
 * <p><b>Bounds.</b> One digest thread (it exits when idle), at most {@value #QUEUE_MAX} marks
 * waiting behind the one being hashed; a mark that finds the queue full fails at once with
 * "busy" and its view is released. The results of the last {@value #RETAINED} marks are kept, in
 * memory only: a restarted member answers nothing for marks it applied before the restart (a
 * replayed entry that the store already holds is skipped, not re-applied), and neither does a
 * member that received a snapshot past the mark instead of the entry.
 *
 * <p>Thread-safe: {@link #submit} is called by the one applying thread, the rest from anywhere.
 */
public final class AuditDigester implements AutoCloseable {
    public static final int RETAINED = 64;
    public static final int QUEUE_MAX = 8;

    private final String memberId;
    private final ThreadPoolExecutor executor;
    /** auditId -> latest state, in the order the marks were applied; guarded by itself. */
    private final Map<String, AuditDigest> results = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, AuditDigest> eldest) {
            return size() > RETAINED;
        }
    };

    public AuditDigester(String memberId) {
        this(memberId, QUEUE_MAX);
    }

    AuditDigester(String memberId, int queueMax) {
        this.memberId = memberId;
        this.executor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueMax), r -> {
            Thread t = new Thread(r, "audit-digest-" + memberId);
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    /** The audit ids of the commands of one entry that are successful audit marks, in order. */
    public static List<String> marksOf(List<Command> commands, List<Result> results) {
        List<String> out = null;
        for (int i = 0; i < commands.size() && i < results.size(); i++) {
            if (commands.get(i) instanceof Command.MarkAudit && results.get(i).isOk()
                    && results.get(i).payload() instanceof AuditMark mark) {
                if (out == null) out = new ArrayList<>(1);
                out.add(mark.auditId());
            }
        }
        return out == null ? List.of() : out;
    }

    /**
     * Digests {@code view}, which must reflect exactly the entry at {@code logIndex} (taken right
     * after committing it), for every audit in {@code auditIds}. Takes ownership of the view: it
     * is released when the digest is done, failed or refused. Never throws for a digest that can
     * not be made; it records a failure instead.
     */
    public void submit(List<String> auditIds, long logIndex, ReadView view) {
        if (auditIds.isEmpty()) {
            view.close();
            return;
        }
        synchronized (results) {
            for (String id : auditIds) results.put(id, AuditDigest.computing(id, logIndex, memberId));
        }
        long viewIndex = view.appliedIndex();
        if (viewIndex != logIndex) {
            view.close();
            finish(auditIds, d -> d.failed("the view is at index " + viewIndex + ", not at the mark's"));
            return;
        }
        Job job = new Job(auditIds, view);
        try {
            executor.execute(job);
        } catch (RejectedExecutionException e) {
            job.abandon(executor.isShutdown() ? "member closing"
                    : "busy: " + executor.getQueue().size() + " audit digests are already waiting");
        }
    }

    /** Records that no view could be taken for these marks (e.g. the store failed). */
    public void failed(List<String> auditIds, long logIndex, String error) {
        synchronized (results) {
            for (String id : auditIds) results.put(id, AuditDigest.computing(id, logIndex, memberId).failed(error));
        }
    }

    /** The digest of one view for the marks of one entry. */
    private final class Job implements Runnable {
        private final List<String> auditIds;
        private final ReadView view;

        Job(List<String> auditIds, ReadView view) {
            this.auditIds = auditIds;
            this.view = view;
        }

        @Override
        public void run() {
            try {
                String hex = StateDigest.hex(view);
                finish(auditIds, d -> d.done(hex));
            } catch (RuntimeException e) {
                finish(auditIds, d -> d.failed(String.valueOf(e)));
            } finally {
                view.close();
            }
        }

        void abandon(String why) {
            view.close();
            finish(auditIds, d -> d.failed(why));
        }
    }

    private void finish(List<String> auditIds, UnaryOperator<AuditDigest> outcome) {
        synchronized (results) {
            // a mark pushed out by RETAINED newer ones while computing stays out
            for (String id : auditIds) results.computeIfPresent(id, (k, d) -> outcome.apply(d));
        }
    }

    /** This member's digest for the mark, if it applied the mark (and still remembers it). */
    public Optional<AuditDigest> get(String auditId) {
        synchronized (results) {
            return Optional.ofNullable(results.get(auditId));
        }
    }

    /**
     * Stops the digest thread: marks still queued fail with "member closing" and their views are
     * released; the one being hashed fails when its store closes. Idempotent.
     */
    @Override
    public void close() {
        for (Runnable queued : executor.shutdownNow()) {
            if (queued instanceof Job job) job.abandon("member closing");
        }
    }

    /** Whether the digest thread has finished after {@link #close} (for tests). */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return executor.awaitTermination(timeout, unit);
    }
}
