package io.glint.registry.ratis;

import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.model.Result;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batching pipeline against a scripted sender: each sent batch is held until the test
 * replies, so batching, ordering and the bounds are checked exactly, without Ratis.
 */
class GroupCommitterTest {

    /** A sender that records every batch and lets the test reply to it. */
    static final class ScriptedSender {
        final List<List<Command>> batches = new ArrayList<>();
        final List<CompletableFuture<byte[]>> replies = new ArrayList<>();

        synchronized CompletableFuture<byte[]> send(byte[] payload) {
            batches.add(Codec.decodeBatch(payload));
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }

        /** Replies to batch {@code i} with a distinct OK result per command (its image id as message). */
        void replyOk(int i) {
            List<Command> batch;
            CompletableFuture<byte[]> f;
            synchronized (this) {
                batch = batches.get(i);
                f = replies.get(i);
            }
            List<Result> results = batch.stream()
                    .map(c -> new Result(Result.Code.OK, ((Command.CreateImage) c).imageId(), null))
                    .toList();
            f.complete(Codec.encodeResults(results));
        }

        synchronized int sent() {
            return batches.size();
        }
    }

    private static GroupCommitter committer(GroupCommitter.Settings s, ScriptedSender sender) {
        return new GroupCommitter(s, sender::send, Runnable::run);
    }

    private static final GroupCommitter.Settings TWO_IN_FLIGHT = new GroupCommitter.Settings(4, 1 << 20, 2, 64, 60_000);

    @Test
    void anUnencodableCommandFailsAloneAndDoesNotPoisonItsBatch() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(TWO_IN_FLIGHT, sender);
        CompletableFuture<Result> first = gc.submit(TestCommands.create(TestCommands.newImageId()));
        Command.CreateImage good = TestCommands.create(TestCommands.newImageId());
        Command.CreateImage bad = new Command.CreateImage(good.actor(), good.nowMillis(), TestCommands.newImageId(),
                "\ud800", good.visibility(), false, false, good.owner(), 0, 0, null, null, List.of(), java.util.Map.of());
        CompletableFuture<Result> badResult = gc.submit(bad);
        CompletableFuture<Result> second = gc.submit(good);
        CompletionException e = assertThrows(CompletionException.class, badResult::join);
        RegistryException re = assertInstanceOf(RegistryException.class, e.getCause());
        assertTrue(re.isDefinite(), "an unencodable command is certainly not applied");
        sender.replyOk(0);
        assertTrue(first.join().isOk());
        assertEquals(2, sender.sent(), "the good command went out in its own batch");
        sender.replyOk(1);
        assertTrue(second.join().isOk());
    }

    @Test
    void idlePipelineSendsALoneCommandAtOnce() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(TWO_IN_FLIGHT, sender);
        CompletableFuture<Result> f = gc.submit(TestCommands.create(TestCommands.newImageId()));
        assertEquals(1, sender.sent(), "sent without waiting for more proposals");
        sender.replyOk(0);
        assertTrue(f.join().isOk());
    }

    @Test
    void proposalsAccumulateWhileThePipelineIsFullAndLeaveInOrder() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(TWO_IN_FLIGHT, sender);
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            String id = TestCommands.newImageId();
            ids.add(id);
            futures.add(gc.submit(TestCommands.create(id)));
        }
        // Two singles went out at once (pipeline of two); nine wait.
        assertEquals(2, sender.sent());
        assertEquals(9, gc.queued());
        sender.replyOk(0); // frees a slot: the next batch takes up to 4
        assertEquals(3, sender.sent());
        assertEquals(4, sender.batches.get(2).size());
        sender.replyOk(1);
        sender.replyOk(2);
        sender.replyOk(3);
        sender.replyOk(4);
        assertEquals(0, gc.queued());
        List<String> sentOrder = new ArrayList<>();
        for (List<Command> b : sender.batches) for (Command c : b) sentOrder.add(((Command.CreateImage) c).imageId());
        assertEquals(ids, sentOrder, "FIFO across batches");
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(ids.get(i), futures.get(i).join().message(), "each caller gets its own result");
        }
        GroupCommitter.Stats st = gc.stats();
        assertEquals(11, st.commandsSent());
        assertEquals(5, st.batchesSent());
        assertEquals(4, st.largestBatch());
        assertEquals(11.0 / 5, st.meanBatchSize(), 1e-9);
    }

    @Test
    void aFullQueueFailsFastAndDefinitely() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter.Settings s = new GroupCommitter.Settings(2, 1 << 20, 1, 4, 60_000);
        GroupCommitter gc = committer(s, sender);
        for (int i = 0; i < 5; i++) gc.submit(TestCommands.create(TestCommands.newImageId())); // 1 sent, 4 queued
        CompletableFuture<Result> rejected = gc.submit(TestCommands.create(TestCommands.newImageId()));
        RegistryException e = cause(rejected);
        assertEquals(RegistryException.Reason.OVERLOADED, e.reason());
        assertTrue(e.isDefinite());
        assertEquals(1, gc.stats().rejectedOverloaded());
    }

    @Test
    void aBatchOverTheByteBoundIsSplitWithoutReordering() {
        ScriptedSender sender = new ScriptedSender();
        int oneCommandBytes = Codec.encodeBatch(List.of(TestCommands.create(TestCommands.newImageId()))).length;
        GroupCommitter.Settings s = new GroupCommitter.Settings(8, Math.max(1024, oneCommandBytes * 3), 1, 64, 60_000);
        GroupCommitter gc = committer(s, sender);
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Result>> futures = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            String id = TestCommands.newImageId();
            ids.add(id);
            futures.add(gc.submit(TestCommands.create(id)));
        }
        for (int round = 0; round < 20 && sender.sent() > round; round++) sender.replyOk(round);
        List<String> sentOrder = new ArrayList<>();
        for (List<Command> b : sender.batches) {
            assertTrue(Codec.encodeBatch(b).length <= s.maxBatchBytes(), "batch within the byte bound");
            for (Command c : b) sentOrder.add(((Command.CreateImage) c).imageId());
        }
        assertEquals(ids, sentOrder);
        futures.forEach(f -> assertTrue(f.join().isOk()));
    }

    @Test
    void aFailedBatchFailsEachOfItsCallersIndefinitely() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(TWO_IN_FLIGHT, sender);
        CompletableFuture<Result> f = gc.submit(TestCommands.create(TestCommands.newImageId()));
        sender.replies.get(0).completeExceptionally(new java.io.IOException("connection reset"));
        RegistryException e = cause(f);
        assertFalse(e.isDefinite());
        assertEquals(RegistryException.Outcome.UNKNOWN, e.outcome());
    }

    @Test
    void aReplyWithTheWrongNumberOfResultsIsAProtocolError() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(TWO_IN_FLIGHT, sender);
        CompletableFuture<Result> f = gc.submit(TestCommands.create(TestCommands.newImageId()));
        sender.replies.get(0).complete(Codec.encodeResults(List.of(Result.ok(), Result.ok())));
        RegistryException e = cause(f);
        assertEquals(RegistryException.Reason.PROTOCOL, e.reason());
        assertFalse(e.isDefinite());
    }

    @Test
    void noReplyWithinTheBoundIsAnIndefiniteTimeout() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(new GroupCommitter.Settings(4, 1 << 20, 1, 16, 50), sender);
        CompletableFuture<Result> f = gc.submit(TestCommands.create(TestCommands.newImageId()));
        RegistryException e = cause(f);
        assertEquals(RegistryException.Reason.TIMEOUT, e.reason());
        assertFalse(e.isDefinite());
    }

    @Test
    void closeFailsQueuedProposalsDefinitely() {
        ScriptedSender sender = new ScriptedSender();
        GroupCommitter gc = committer(new GroupCommitter.Settings(4, 1 << 20, 1, 16, 60_000), sender);
        gc.submit(TestCommands.create(TestCommands.newImageId())); // in flight
        CompletableFuture<Result> queued = gc.submit(TestCommands.create(TestCommands.newImageId()));
        gc.close();
        RegistryException e = cause(queued);
        assertEquals(RegistryException.Reason.CLOSED, e.reason());
        assertTrue(e.isDefinite());
        assertEquals(RegistryException.Reason.CLOSED, cause(gc.submit(TestCommands.create(TestCommands.newImageId()))).reason());
    }

    /** Many threads, a sender replying from other threads: every command sent once, each thread's in order. */
    @Test
    void concurrentProposersKeepTheirOwnOrderAndEveryCommandIsSentOnce() throws Exception {
        ConcurrentLinkedQueue<Command> sent = new ConcurrentLinkedQueue<>();
        ExecutorService replier = Executors.newFixedThreadPool(2);
        try {
            GroupCommitter gc = new GroupCommitter(new GroupCommitter.Settings(16, 1 << 20, 3, 4096, 60_000), payload -> {
                List<Command> batch = Codec.decodeBatch(payload);
                sent.addAll(batch);
                return CompletableFuture.supplyAsync(() -> Codec.encodeResults(
                        batch.stream().map(c -> Result.ok()).toList()), replier);
            }, Runnable::run);
            int threads = 8;
            int perThread = 200;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            List<List<CompletableFuture<Result>>> all = new ArrayList<>();
            List<List<String>> ids = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<CompletableFuture<Result>> mine = new ArrayList<>();
                List<String> myIds = new ArrayList<>();
                for (int i = 0; i < perThread; i++) myIds.add(TestCommands.newImageId());
                all.add(mine);
                ids.add(myIds);
                Thread w = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (String id : myIds) mine.add(gc.submit(TestCommands.create(id)));
                });
                workers.add(w);
                w.start();
            }
            go.countDown();
            for (Thread w : workers) w.join(TimeUnit.SECONDS.toMillis(30));
            for (List<CompletableFuture<Result>> mine : all) {
                for (CompletableFuture<Result> f : mine) assertTrue(f.get(30, TimeUnit.SECONDS).isOk());
            }
            List<String> order = sent.stream().map(c -> ((Command.CreateImage) c).imageId()).toList();
            assertEquals(threads * perThread, order.size());
            assertEquals(threads * perThread, order.stream().distinct().count(), "no command sent twice");
            for (List<String> myIds : ids) {
                List<String> mineInSentOrder = order.stream().filter(myIds::contains).toList();
                assertEquals(myIds, mineInSentOrder, "one proposer's commands leave in its order");
            }
            assertTrue(gc.stats().batchesSent() <= gc.stats().commandsSent());
        } finally {
            replier.shutdownNow();
        }
    }

    private static RegistryException cause(CompletableFuture<Result> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return assertInstanceOf(RegistryException.class, e.getCause());
    }
}
