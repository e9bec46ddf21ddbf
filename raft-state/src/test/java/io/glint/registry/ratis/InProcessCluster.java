package io.glint.registry.ratis;

import io.glint.registry.model.Payload;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Real registry members in one JVM: Ratis servers on 127.0.0.1 ephemeral ports, each with its own
 * RocksDB under a temporary root, for tests and for the benchmark. Members can be stopped,
 * restarted (same storage) and wiped (storage deleted, restarted empty); new members can be
 * started to join. Registries handed out are closed before the servers on {@link #close}.
 *
 * <p>Timeouts are generous because CI machines may have two cores shared by every member, the
 * client and RocksDB's compactions; every wait polls for a condition with a bound.
 */
public final class InProcessCluster implements AutoCloseable {

    /** How to build the cluster; defaults suit tests on a small machine. */
    public static final class Builder {
        private final Path root;
        private int voters = 3;
        private int listeners;
        private String clusterName = "test";
        private long snapshotThresholdEntries = 10_000;
        private long logSegmentSizeBytes = 1L << 20;
        private int logPurgeGapEntries = 1024;
        private Duration electionTimeoutMin = Duration.ofMillis(1000);
        private Duration electionTimeoutMax = Duration.ofMillis(2000);
        private GroupCommitter.Settings groupCommit = GroupCommitter.Settings.DEFAULT;
        private boolean snapshotOnStop = true;

        private Builder(Path root) {
            this.root = root;
        }

        public Builder voters(int n) { voters = n; return this; }
        public Builder listeners(int n) { listeners = n; return this; }
        public Builder clusterName(String v) { clusterName = v; return this; }
        public Builder snapshotThresholdEntries(long v) { snapshotThresholdEntries = v; return this; }
        public Builder logSegmentSizeBytes(long v) { logSegmentSizeBytes = v; return this; }
        public Builder logPurgeGapEntries(int v) { logPurgeGapEntries = v; return this; }
        public Builder electionTimeout(Duration min, Duration max) { electionTimeoutMin = min; electionTimeoutMax = max; return this; }
        public Builder groupCommit(GroupCommitter.Settings v) { groupCommit = v; return this; }
        /** Off: a stopped member restarts as after a crash, replaying the log after its last snapshot. */
        public Builder snapshotOnStop(boolean v) { snapshotOnStop = v; return this; }

        /** Starts every member and waits until a leader has committed in its term. */
        public InProcessCluster start() {
            InProcessCluster c = new InProcessCluster(this);
            try {
                c.startAll();
                c.awaitLeader(Duration.ofSeconds(60));
            } catch (RuntimeException | Error e) {
                c.close();
                throw e;
            }
            return c;
        }
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    private static final Duration CLOSE_BOUND = Duration.ofSeconds(60);

    private final Builder b;
    private final List<RegistryPeer> peers = new ArrayList<>();
    private final Map<String, RegistryServer> running = new LinkedHashMap<>();
    private final List<Registry> registries = new ArrayList<>();

    private InProcessCluster(Builder b) {
        this.b = b;
        int total = b.voters + b.listeners;
        for (int i = 0; i < total; i++) {
            String id = "n" + (i + 1);
            String address = "127.0.0.1:" + freePort();
            peers.add(i < b.voters ? RegistryPeer.voter(id, address) : RegistryPeer.listener(id, address));
        }
    }

    private void startAll() {
        for (RegistryPeer p : peers) start(p.id());
    }

    /** A port free right now on 127.0.0.1 (the kernel's choice). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String clusterName() {
        return b.clusterName;
    }

    /** The initial configuration plus every member added with {@link #startNewMember}. */
    public synchronized List<RegistryPeer> peers() {
        return List.copyOf(peers);
    }

    public synchronized RegistryPeer peer(String id) {
        return peers.stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no peer " + id));
    }

    public Path storageDir(String id) {
        return b.root.resolve(id);
    }

    private RegistryServer.Config config(String id) {
        return RegistryServer.Config.builder(id, peers(), storageDir(id))
                .clusterName(b.clusterName)
                .bindHost("127.0.0.1")
                .electionTimeout(b.electionTimeoutMin, b.electionTimeoutMax)
                .requestTimeout(Duration.ofSeconds(10))
                .snapshotThresholdEntries(b.snapshotThresholdEntries)
                .logSegmentSizeBytes(b.logSegmentSizeBytes)
                .logPurgeGapEntries(b.logPurgeGapEntries)
                .snapshotOnStop(b.snapshotOnStop)
                .build();
    }

    /** Starts (or restarts, on its existing storage) member {@code id}. */
    public synchronized RegistryServer start(String id) {
        if (running.containsKey(id)) throw new IllegalStateException(id + " is already running");
        RegistryServer s = RegistryServer.start(config(id));
        running.put(id, s);
        return s;
    }

    /** Stops member {@code id}, keeping its storage. */
    public synchronized void stop(String id) {
        RegistryServer s = running.remove(id);
        if (s == null) throw new IllegalStateException(id + " is not running");
        s.close();
    }

    /** Stops {@code id} if running, deletes its storage, and starts it again empty. */
    public synchronized RegistryServer wipeAndRestart(String id) {
        if (running.containsKey(id)) stop(id);
        try {
            io.glint.registry.rocks.StoreDirs.deleteTree(storageDir(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return start(id);
    }

    /**
     * Allocates a port for a new member {@code id} with {@code role}, adds it to the peer list and
     * starts it; the caller then adds it to the configuration (e.g. {@link Registry#addListener}).
     */
    public synchronized RegistryPeer startNewMember(String id, RegistryPeer.Role role) {
        RegistryPeer p = new RegistryPeer(id, "127.0.0.1:" + freePort(), role);
        peers.add(p);
        start(id);
        return p;
    }

    public synchronized RegistryServer server(String id) {
        RegistryServer s = running.get(id);
        if (s == null) throw new IllegalStateException(id + " is not running");
        return s;
    }

    public synchronized List<RegistryServer> running() {
        return List.copyOf(running.values());
    }

    public synchronized boolean isRunning(String id) {
        return running.containsKey(id);
    }

    /** The running member that is leader and ready, if exactly one is. */
    public synchronized Optional<String> leader() {
        List<String> ready = running.values().stream().filter(RegistryServer::isLeaderReady)
                .map(RegistryServer::nodeId).toList();
        return ready.size() == 1 ? Optional.of(ready.get(0)) : Optional.empty();
    }

    /** Waits until one running member is a ready leader; returns its id. */
    public String awaitLeader(Duration bound) {
        await(bound, () -> leader().isPresent(), () -> "no ready leader among " + describe());
        return leader().orElseThrow();
    }

    /** A running voter that is not the leader. */
    public synchronized String aFollower() {
        String leader = leader().orElse(null);
        return running.values().stream()
                .filter(s -> !s.nodeId().equals(leader))
                .filter(s -> peer(s.nodeId()).isVoter())
                .map(RegistryServer::nodeId).findFirst()
                .orElseThrow(() -> new IllegalStateException("no running follower: " + describe()));
    }

    /** A registry client that reads through member {@code id}; closed with the cluster. */
    public synchronized Registry registry(String id) {
        Registry r = Registry.builder(server(id)).groupCommit(b.groupCommit)
                .retry(Duration.ofMillis(100), Duration.ofSeconds(30))
                .build();
        registries.add(r);
        return r;
    }

    /** A registry client with no local member (reads go to the leader); closed with the cluster. */
    public synchronized Registry remoteRegistry() {
        Registry r = Registry.builder(b.clusterName, peers()).groupCommit(b.groupCommit)
                .retry(Duration.ofMillis(100), Duration.ofSeconds(30))
                .build();
        registries.add(r);
        return r;
    }

    /**
     * Waits until every running member has applied the same last entry and reports the same state
     * digest there; returns that digest.
     */
    public Payload.Digest awaitConverged(Duration bound) {
        Payload.Digest[] agreed = new Payload.Digest[1];
        await(bound, () -> {
            List<RegistryServer> members = running();
            Payload.Digest first = null;
            for (RegistryServer s : members) {
                Payload.Digest d = s.stateMachine().digest();
                if (first == null) first = d;
                else if (!first.equals(d)) return false;
            }
            agreed[0] = first;
            return first != null;
        }, () -> "members did not converge: " + describeDigests());
        return agreed[0];
    }

    public synchronized String describe() {
        StringBuilder sb = new StringBuilder();
        for (RegistryServer s : running.values()) {
            sb.append(s.nodeId()).append('=').append(s.role().map(Enum::name).orElse("down"))
                    .append("(leader ").append(s.leaderId().orElse("?")).append(", applied ")
                    .append(s.stateMachine().appliedIndex()).append(") ");
        }
        return sb.toString();
    }

    private String describeDigests() {
        StringBuilder sb = new StringBuilder();
        for (RegistryServer s : running()) {
            try {
                Payload.Digest d = s.stateMachine().digest();
                sb.append(s.nodeId()).append("@").append(d.appliedIndex()).append("=")
                        .append(d.sha256Hex(), 0, 12).append(' ');
            } catch (RuntimeException e) {
                sb.append(s.nodeId()).append("=").append(e).append(' ');
            }
        }
        return sb.toString();
    }

    /** The Ratis division of member {@code id}, for tests that inspect the log. */
    public RaftServer.Division division(String id) {
        return server(id).division();
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code bound} passes (then fails). */
    public static void await(Duration bound, BooleanSupplier condition, Supplier<String> failure) {
        long deadline = System.nanoTime() + bound.toNanos();
        RuntimeException lastError = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) return;
                lastError = null;
            } catch (RuntimeException e) {
                lastError = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + failure.get(), e);
            }
        }
        AssertionError e = new AssertionError("not within " + bound + ": " + failure.get());
        if (lastError != null) e.initCause(lastError);
        throw e;
    }

    /**
     * Closes every registry, then every member. Each close is bounded: a Ratis close that hangs
     * fails the caller instead of hanging the build.
     */
    @Override
    public synchronized void close() {
        List<Throwable> errors = new ArrayList<>();
        for (Registry r : registries) closeBounded("registry", r::close, errors);
        registries.clear();
        for (String id : List.copyOf(running.keySet())) {
            RegistryServer s = running.remove(id);
            closeBounded("member " + id, s::close, errors);
        }
        if (!errors.isEmpty()) {
            IllegalStateException e = new IllegalStateException("closing the cluster failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void closeBounded(String what, Runnable close, List<Throwable> errors) {
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                close.run();
            } catch (RuntimeException | Error e) {
                failure[0] = e;
            }
        }, "close-" + what);
        t.setDaemon(true);
        t.start();
        try {
            t.join(CLOSE_BOUND.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            AssertionError hung = new AssertionError("closing " + what + " did not finish within " + CLOSE_BOUND);
            hung.setStackTrace(t.getStackTrace());
            errors.add(hung);
        } else if (failure[0] != null) {
            errors.add(failure[0]);
        }
    }
}
