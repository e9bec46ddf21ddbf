package io.glint.registry;

import io.glint.registry.command.Command;
import io.glint.registry.machine.MachineHarness;
import io.glint.registry.model.AuditDigest;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import io.glint.registry.ratis.InProcessCluster;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The member-local digest at audit marks: right view, off the caller's thread, bounded. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditDigesterTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static AuditDigest awaitFinished(AuditDigester d, String auditId) {
        InProcessCluster.await(BOUND, () -> d.get(auditId).map(AuditDigest::isFinished).orElse(false),
                () -> auditId + " is " + d.get(auditId));
        return d.get(auditId).orElseThrow();
    }

    /** A view that counts its closes and whose scans wait for {@code gate} (so a digest can be held). */
    private static final class GatedView implements ReadView {
        final ReadView inner;
        final CountDownLatch gate;
        final CountDownLatch entered = new CountDownLatch(1);
        final AtomicInteger closes = new AtomicInteger();

        GatedView(ReadView inner, CountDownLatch gate) {
            this.inner = inner;
            this.gate = gate;
        }

        @Override
        public long appliedIndex() {
            return inner.appliedIndex();
        }

        @Override
        public byte[] get(Table table, byte[] key) {
            return inner.get(table, key);
        }

        @Override
        public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
            entered.countDown();
            try {
                if (!gate.await(BOUND.toSeconds(), TimeUnit.SECONDS)) throw new IllegalStateException("gate never opened");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return inner.scan(table, from, to, descending);
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            inner.close();
        }
    }

    @Test
    void theDigestIsOfTheViewTakenAtTheMarkNotOfLaterState() {
        MachineHarness h = new MachineHarness();
        try (AuditDigester d = new AuditDigester("m1")) {
            h.queued(MachineHarness.ALICE, MachineHarness.uuid(1));
            AuditMark mark = h.ok(new Command.MarkAudit(h.tick(), "a-1", "admin")).value(AuditMark.class);
            String atMark = StateDigest.hex(h.store);
            CountDownLatch gate = new CountDownLatch(1);
            GatedView view = new GatedView(h.store.openReadView(), gate);
            d.submit(List.of("a-1"), mark.logIndex(), view);
            assertEquals(Optional.of(AuditDigest.computing("a-1", mark.logIndex(), "m1")), d.get("a-1"));
            // the state moves on before the digest is computed
            h.queued(MachineHarness.BOB, MachineHarness.uuid(2));
            assertNotEquals(atMark, StateDigest.hex(h.store));
            gate.countDown();
            AuditDigest done = awaitFinished(d, "a-1");
            assertEquals(new AuditDigest("a-1", mark.logIndex(), AuditDigest.DONE, atMark, null, "m1"), done);
            InProcessCluster.await(BOUND, () -> view.closes.get() == 1, () -> "the view was not released");
        }
    }

    @Test
    void aViewAtAnotherIndexIsRefusedAndReleased() {
        MachineHarness h = new MachineHarness();
        h.queued(MachineHarness.ALICE, MachineHarness.uuid(1));
        try (AuditDigester d = new AuditDigester("m1")) {
            GatedView view = new GatedView(h.store.openReadView(), new CountDownLatch(0));
            d.submit(List.of("a-1"), h.index() + 1, view);
            AuditDigest r = d.get("a-1").orElseThrow();
            assertEquals(AuditDigest.FAILED, r.state());
            assertTrue(r.error().contains("not at the mark's"), r.error());
            assertEquals(1, view.closes.get());
        }
    }

    @Test
    void aFullQueueFailsTheMarkAsBusyAndReleasesItsView() throws Exception {
        InMemoryStore store = new InMemoryStore();
        store.commit(List.of(), 1, 1);
        CountDownLatch gate = new CountDownLatch(1);
        try (AuditDigester d = new AuditDigester("m1", 1)) {
            GatedView running = new GatedView(store.openReadView(), gate);
            d.submit(List.of("a-1"), 1, running);
            assertTrue(running.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS), "the first digest started");
            GatedView queued = new GatedView(store.openReadView(), gate);
            d.submit(List.of("a-2"), 1, queued);
            GatedView refused = new GatedView(store.openReadView(), gate);
            d.submit(List.of("a-3", "a-4"), 1, refused);
            for (String id : List.of("a-3", "a-4")) {
                AuditDigest busy = d.get(id).orElseThrow();
                assertEquals(AuditDigest.FAILED, busy.state(), id);
                assertTrue(busy.error().startsWith("busy"), busy.error());
            }
            assertEquals(1, refused.closes.get());
            assertEquals(AuditDigest.COMPUTING, d.get("a-2").orElseThrow().state());
            gate.countDown();
            String expected = StateDigest.hex(store);
            assertEquals(expected, awaitFinished(d, "a-1").sha256Hex());
            assertEquals(expected, awaitFinished(d, "a-2").sha256Hex());
            assertEquals(1, running.closes.get());
            InProcessCluster.await(BOUND, () -> queued.closes.get() == 1, () -> "the queued view was not released");
        }
    }

    @Test
    void closingFailsQueuedMarksAndRefusesNewOnes() throws Exception {
        InMemoryStore store = new InMemoryStore();
        store.commit(List.of(), 1, 1);
        CountDownLatch gate = new CountDownLatch(1);
        AuditDigester d = new AuditDigester("m1", 2);
        GatedView running = new GatedView(store.openReadView(), gate);
        d.submit(List.of("a-1"), 1, running);
        assertTrue(running.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS));
        GatedView queued = new GatedView(store.openReadView(), gate);
        d.submit(List.of("a-2"), 1, queued);
        d.close();
        assertEquals(AuditDigest.FAILED, d.get("a-2").orElseThrow().state());
        assertEquals("member closing", d.get("a-2").orElseThrow().error());
        assertEquals(1, queued.closes.get());
        GatedView late = new GatedView(store.openReadView(), gate);
        d.submit(List.of("a-3"), 1, late);
        assertEquals("member closing", d.get("a-3").orElseThrow().error());
        assertEquals(1, late.closes.get());
        gate.countDown();
        assertTrue(d.awaitTermination(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(1, running.closes.get());
        d.close();
    }

    @Test
    void onlyTheLastRetainedMarksAreRemembered() {
        InMemoryStore store = new InMemoryStore();
        store.commit(List.of(), 1, 1);
        int n = AuditDigester.RETAINED + 6;
        try (AuditDigester d = new AuditDigester("m1")) {
            for (int i = 0; i < n; i++) {
                String id = "a-" + i;
                d.submit(List.of(id), 1, store.openReadView());
                awaitFinished(d, id);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(i >= n - AuditDigester.RETAINED, d.get("a-" + i).isPresent(), "a-" + i);
            }
        }
    }

    @Test
    void onlySuccessfulMarksCount() {
        AuditMark m = new AuditMark("a-1", 5, 1, "x");
        List<Command> commands = List.of(new Command.MarkAudit(1, "a-1", "x"), new Command.MarkAudit(1, "a-1", "x"),
                new Command.PurgeImage(1, "i"), new Command.MarkAudit(1, "a-2", "x"));
        List<Result> results = List.of(Result.ok(m), Result.conflict("exists"), Result.ok(),
                Result.ok(new AuditMark("a-2", 5, 1, "x")));
        assertEquals(List.of("a-1", "a-2"), AuditDigester.marksOf(commands, results));
        assertEquals(List.of(), AuditDigester.marksOf(commands.subList(1, 3), results.subList(1, 3)));
    }

    @Test
    void theDirectRegistryDigestsAtItsMarksToo() throws Exception {
        try (DirectRegistry r = new DirectRegistry(new InMemoryStore())) {
            MachineHarness names = new MachineHarness();
            assertTrue(r.propose(names.create(MachineHarness.ALICE, MachineHarness.uuid(1)).formats("raw", "bare").cmd())
                    .get().isOk());
            Result rejected = r.propose(new Command.MarkAudit(2, "", "x")).get();
            assertFalse(rejected.isOk());
            AuditMark mark = r.propose(new Command.MarkAudit(3, "a-1", "x")).get().value(AuditMark.class);
            Payload.Digest atMark = r.readLocal(new Query.Digest()).value(Payload.Digest.class);
            assertEquals(mark.logIndex(), atMark.appliedIndex());
            for (int i = 2; i < 5; i++) {
                assertTrue(r.propose(names.create(MachineHarness.ALICE, MachineHarness.uuid(i)).cmd()).get().isOk());
            }
            InProcessCluster.await(BOUND, () -> r.auditDigest("a-1").map(AuditDigest::isFinished).orElse(false),
                    () -> "a-1: " + r.auditDigest("a-1"));
            assertEquals(new AuditDigest("a-1", mark.logIndex(), AuditDigest.DONE, atMark.sha256Hex(), null, "direct"),
                    r.auditDigest("a-1").orElseThrow());
            assertEquals(Optional.empty(), r.auditDigest(""));
        }
    }
}
