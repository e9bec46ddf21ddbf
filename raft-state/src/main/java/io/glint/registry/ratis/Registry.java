package io.glint.registry.ratis;

import io.glint.registry.RegistryClient;
import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The registry as the rest of a node sees it: propose commands (group-committed, see
 * {@link GroupCommitter}), read linearizably, read the local copy, change membership.
 *
 * <p>Reads. {@link #read} is linearizable: it goes through Ratis's read index
 * ({@code raft.server.read.option=LINEARIZABLE} on the servers), served by the local member when
 * this client has one (a follower or listener asks the leader for the commit index, waits until it
 * has applied that far, then answers locally) and by the leader otherwise. {@link #readLocal} reads
 * the local copy as it is, for background services that tolerate lag.
 *
 * <p>Errors. Every future fails with a {@link RegistryException} that says whether the command
 * was certainly not applied or may have been. Ratis retries a request (new leader, lost
 * connection) within a bound; what is left after that is indefinite.
 */
public final class Registry implements RegistryClient {
    private static final int MEMBERSHIP_ATTEMPTS_MAX = 5;

    private final RaftGroup group;
    private final RegistryServer local;
    /**
     * Replaced when Ratis closes it: an ordered async client whose request ran out of retries
     * (a partition longer than the retry window) closes its sliding window for good, and every
     * later request would fail with AlreadyClosedException although the group is reachable again.
     */
    private volatile RaftClient client;
    /**
     * Reads use their own client: a Ratis client is ordered (Netty has no unordered mode), so on
     * the writers' client a read would queue behind every batch in flight.
     */
    private volatile RaftClient readClient;
    private final RaftProperties clientProperties;
    private final RetryPolicy clientRetry;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong clientsReplaced = new java.util.concurrent.atomic.AtomicLong();
    private final GroupCommitter committer;
    private final ExecutorService completions;
    /** Where failed Ratis replies complete; see {@link FailureHandoffClientRpc}. */
    private final ExecutorService rpcFailures;
    /** Runs local queries of linearizable reads (never on Ratis's or the applier's threads). */
    private final ExecutorService reads;
    private final long requestTimeoutMillis;
    private final long localCatchUpMillis;

    private Registry(Builder b) {
        this.group = RegistryServer.group(b.clusterName, b.peers);
        this.local = b.local;
        this.requestTimeoutMillis = b.groupCommit.batchTimeoutMillis();
        this.localCatchUpMillis = b.localCatchUp.toMillis();
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(b.rpcTimeout.toMillis(), TimeUnit.MILLISECONDS));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, Math.max(128, 4 * b.groupCommit.maxInFlightBatches()));
        int attempts = (int) Math.max(1, b.retryWindow.toMillis() / Math.max(1, b.retrySleep.toMillis()));
        RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
                TimeDuration.valueOf(b.retrySleep.toMillis(), TimeUnit.MILLISECONDS));
        this.rpcFailures = Executors.newSingleThreadExecutor(daemonThreads("registry-rpc-failures"));
        this.clientProperties = p;
        this.clientRetry = retry;
        this.client = newClient(p, retry);
        this.readClient = newClient(p, retry);
        this.completions = Executors.newSingleThreadExecutor(daemonThreads("registry-completions"));
        this.reads = Executors.newFixedThreadPool(b.readThreads, daemonThreads("registry-reads"));
        this.committer = new GroupCommitter(b.groupCommit, this::sendBatch, completions);
    }

    private RaftClient newClient(RaftProperties p, RetryPolicy retry) {
        ClientId id = ClientId.randomId();
        return RaftClient.newBuilder()
                .setClientId(id)
                .setClientRpc(new FailureHandoffClientRpc(id, p, rpcFailures))
                .setProperties(p)
                .setRaftGroup(group)
                .setRetryPolicy(retry)
                .build();
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public static Builder builder(String clusterName, List<RegistryPeer> peers) {
        return new Builder(clusterName, peers);
    }

    /** A client of {@code server}'s group that reads through {@code server}. */
    public static Builder builder(RegistryServer server) {
        return new Builder(server.config().clusterName(), server.config().peers()).local(server);
    }

    /** Client settings; the defaults suit a node talking to its own cluster. */
    public static final class Builder {
        private final String clusterName;
        private final List<RegistryPeer> peers;
        private RegistryServer local;
        private GroupCommitter.Settings groupCommit = GroupCommitter.Settings.DEFAULT;
        private Duration rpcTimeout = Duration.ofSeconds(5);
        private Duration retrySleep = Duration.ofMillis(100);
        private Duration retryWindow = Duration.ofSeconds(20);
        private Duration localCatchUp = Duration.ofSeconds(2);
        private int readThreads = Math.max(2, Runtime.getRuntime().availableProcessors());

        private Builder(String clusterName, List<RegistryPeer> peers) {
            this.clusterName = Objects.requireNonNull(clusterName);
            this.peers = List.copyOf(peers);
        }

        /** The member on this node: local reads come from it and linearizable reads are served by it. */
        public Builder local(RegistryServer v) { local = v; return this; }
        public Builder groupCommit(GroupCommitter.Settings v) { groupCommit = v; return this; }
        /** One attempt of one request gives up after this. */
        public Builder rpcTimeout(Duration v) { rpcTimeout = v; return this; }
        /** Ratis retries a failed attempt (no leader, connection lost) every {@code sleep}, about {@code window / sleep} times. */
        public Builder retry(Duration sleep, Duration window) { retrySleep = sleep; retryWindow = window; return this; }

        /** How long a linearizable read waits for the local member to catch up before asking the leader. */
        public Builder localCatchUp(Duration v) { localCatchUp = v; return this; }
        /** Threads that run the local query of linearizable reads. */
        public Builder readThreads(int v) { readThreads = v; return this; }

        public Registry build() {
            return new Registry(this);
        }
    }

    // ---------------------------------------------------------------- writes

    /** Proposes {@code command}; completes with its result once committed and applied. */
    @Override
    public CompletableFuture<Result> propose(Command command) {
        return committer.submit(command);
    }

    private CompletableFuture<byte[]> sendBatch(byte[] payload) {
        RaftClient used = client;
        return used.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(payload)))
                .whenComplete((reply, error) -> replaceIfClosed(used, error, true))
                .thenApply(reply -> replyBytes(reply, RegistryException.Outcome.UNKNOWN));
    }

    /** Swaps in a new client when {@code used} failed because Ratis closed it (see {@link #client}). */
    private void replaceIfClosed(RaftClient used, Throwable error, boolean writer) {
        if (error == null || closed || !causedByClosedClient(error)) return;
        synchronized (this) {
            if (closed) return;
            if (writer && client == used) {
                client = newClient(clientProperties, clientRetry);
            } else if (!writer && readClient == used) {
                readClient = newClient(clientProperties, clientRetry);
            } else {
                return; // someone replaced it already
            }
            clientsReplaced.incrementAndGet();
        }
        // Closed off this thread: this callback may run on one of the old client's own threads.
        Thread closer = new Thread(() -> {
            try {
                used.close();
            } catch (IOException | RuntimeException e) {
                // it is closed already, which is why it is replaced
            }
        }, "registry-client-closer");
        closer.setDaemon(true);
        closer.start();
    }

    private static boolean causedByClosedClient(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException) return true;
        }
        return false;
    }

    /** How often a closed Ratis client was replaced (a partition outlasted the retry window). */
    public long clientsReplaced() {
        return clientsReplaced.get();
    }

    /** The reply's content, or the reply's exception as a {@link RegistryException}. */
    private static byte[] replyBytes(RaftClientReply reply, RegistryException.Outcome ifFailed) {
        if (!reply.isSuccess()) {
            RaftException e = reply.getException();
            throw new RegistryException(RegistryException.Reason.FAILED, ifFailed,
                    "server " + reply.getServerId() + " replied " + (e == null ? "failure" : e.toString()), e);
        }
        return reply.getMessage() == null ? new byte[0] : reply.getMessage().getContent().toByteArray();
    }

    public GroupCommitter.Stats groupCommitStats() {
        return committer.stats();
    }

    // ---------------------------------------------------------------- reads

    /**
     * A linearizable read: it sees every write acknowledged before it started.
     *
     * <p>With a local member this is a read index done by hand, because Ratis's Netty transport
     * can not forward a follower's read-index request to the leader: a one-byte probe goes to the
     * leader as a Ratis linearizable read (so the leader confirms it still leads) and returns the
     * leader's applied index; the local member waits until it has applied that far and answers
     * from its own copy. The leader only answers the probe; the query's work is done locally. If
     * the local member does not catch up within the bound (it may be installing a snapshot), the
     * whole query is asked of the leader instead. Without a local member the query goes to the
     * leader.
     */
    @Override
    public CompletableFuture<Result> read(Query query) {
        CompletableFuture<Result> out;
        try {
            out = local == null ? readAtLeader(query) : readThroughLocal(query);
        } catch (RuntimeException e) {
            out = CompletableFuture.failedFuture(e);
        }
        return out.handleAsync((r, error) -> {
            if (error != null) throw readFailure(error);
            return r;
        }, completions);
    }

    private CompletableFuture<Result> readAtLeader(Query query) {
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encodeQuery(query)));
        RaftClient used = readClient;
        return sendReadOnlyToLeader(used, m)
                .whenComplete((reply, error) -> replaceIfClosed(used, error, false))
                .orTimeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
                .thenApply(reply -> Codec.decodeResult(replyBytes(reply, RegistryException.Outcome.NOT_APPLIED)));
    }

    private CompletableFuture<Result> readThroughLocal(Query query) {
        RegistryStateMachine sm = local.stateMachine();
        byte[] probe = {RegistryStateMachine.APPLIED_INDEX_PROBE};
        RaftClient used = readClient;
        Message probeMessage = Message.valueOf(UnsafeByteOperations.unsafeWrap(probe));
        return sendReadOnlyToLeader(used, probeMessage)
                .whenComplete((reply, error) -> replaceIfClosed(used, error, false))
                .orTimeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
                .thenCompose(reply -> {
                    long leaderApplied = java.nio.ByteBuffer.wrap(replyBytes(reply, RegistryException.Outcome.NOT_APPLIED)).getLong();
                    CompletableFuture<Result> answeredLocally = sm.awaitApplied(leaderApplied)
                            .orTimeout(localCatchUpMillis, TimeUnit.MILLISECONDS)
                            .thenApplyAsync(v -> sm.readLocal(query), reads);
                    return answeredLocally.handle((r, error) -> error == null
                                    ? CompletableFuture.completedFuture(r)
                                    : readAtLeader(query))
                            .thenCompose(f -> f);
                });
    }

    /**
     * A linearizable read-only request, addressed to the leader the local member knows of when
     * there is one: a client whose own idea of the leader is stale (an election just happened)
     * would send it to a follower, which over Ratis's Netty transport can not forward a read index
     * and leaves the request unanswered. Both the probe and the fallback of a lagging local member
     * go this way; without a local member the client's own leader is all there is.
     */
    private CompletableFuture<RaftClientReply> sendReadOnlyToLeader(RaftClient client, Message m) {
        java.util.Optional<String> leader = local == null ? java.util.Optional.empty() : local.leaderId();
        return leader.isPresent()
                ? client.async().sendReadOnly(m, org.apache.ratis.protocol.RaftPeerId.valueOf(leader.get()))
                : client.async().sendReadOnly(m);
    }

    private static RegistryException readFailure(Throwable error) {
        RegistryException e = GroupCommitter.toRegistryException(error);
        return e.isDefinite() ? e : new RegistryException(e.reason(), RegistryException.Outcome.NOT_APPLIED,
                "read failed", e.getCause() != null ? e.getCause() : e);
    }

    /**
     * Reads the local member's copy as it is now (not linearizable; it may lag). Without a local
     * member, asks the leader for its copy (Ratis stale read).
     */
    @Override
    public Result readLocal(Query query) {
        if (local != null) return local.stateMachine().readLocal(query);
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encodeQuery(query)));
        try {
            RaftClientReply reply = readClient.io().sendStaleRead(m, 0, readClient.getLeaderId());
            return Codec.decodeResult(replyBytes(reply, RegistryException.Outcome.NOT_APPLIED));
        } catch (IOException | RuntimeException e) {
            throw readFailure(e);
        }
    }

    // ---------------------------------------------------------------- membership

    /** Adds {@code peer} as a voter (promoting it if it is a listener). Blocks until the change commits. */
    public void addVoter(RegistryPeer peer) {
        RaftPeer p = RegistryPeer.voter(peer.id(), peer.address()).toRaftPeer();
        changeMembership(c -> c.without(p.getId()).withVoter(p));
    }

    /** Adds {@code peer} as a listener (demoting it if it votes). Blocks until the change commits. */
    public void addListener(RegistryPeer peer) {
        RaftPeer p = RegistryPeer.listener(peer.id(), peer.address()).toRaftPeer();
        changeMembership(c -> c.without(p.getId()).withListener(p));
    }

    /** Removes {@code peerId} from the group. Blocks until the change commits. */
    public void remove(String peerId) {
        RaftPeerId id = RaftPeerId.valueOf(peerId);
        changeMembership(c -> c.without(id));
    }

    /** The committed configuration as the leader (or, failing that, any member) reports it. */
    public List<RegistryPeer> members() {
        Conf c = currentConf();
        List<RegistryPeer> out = new ArrayList<>();
        c.voters().forEach(p -> out.add(RegistryPeer.fromRaftPeer(p, RegistryPeer.Role.VOTER)));
        c.listeners().forEach(p -> out.add(RegistryPeer.fromRaftPeer(p, RegistryPeer.Role.LISTENER)));
        return out;
    }

    private record Conf(List<RaftPeer> voters, List<RaftPeer> listeners) {
        Conf without(RaftPeerId id) {
            return new Conf(voters.stream().filter(p -> !p.getId().equals(id)).toList(),
                    listeners.stream().filter(p -> !p.getId().equals(id)).toList());
        }

        Conf withVoter(RaftPeer p) {
            List<RaftPeer> v = new ArrayList<>(voters);
            v.add(p);
            return new Conf(v, listeners);
        }

        Conf withListener(RaftPeer p) {
            List<RaftPeer> l = new ArrayList<>(listeners);
            l.add(p);
            return new Conf(voters, l);
        }

        boolean sameMembers(Conf o) {
            return ids(voters).equals(ids(o.voters)) && ids(listeners).equals(ids(o.listeners));
        }

        private static Set<String> ids(List<RaftPeer> peers) {
            Set<String> s = new java.util.TreeSet<>();
            peers.forEach(p -> s.add(p.getId() + "@" + p.getAddress()));
            return s;
        }
    }

    /**
     * Reads the current configuration, applies {@code change}, and sets the result only if the
     * configuration is still the one read (compare-and-set); retries a bounded number of times
     * when another change got in between.
     */
    private void changeMembership(UnaryOperator<Conf> change) {
        RegistryException last = null;
        for (int attempt = 0; attempt < MEMBERSHIP_ATTEMPTS_MAX; attempt++) {
            Conf current = currentConf();
            Conf next = change.apply(current);
            if (next.sameMembers(current)) return;
            if (next.voters().isEmpty()) {
                throw new IllegalArgumentException("a membership change may not remove the last voter");
            }
            SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
                    .setServersInNewConf(next.voters())
                    .setListenersInNewConf(next.listeners())
                    .setServersInCurrentConf(current.voters())
                    .setListenersInCurrentConf(current.listeners())
                    .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                    .build();
            try {
                RaftClientReply reply = client.admin().setConfiguration(args);
                if (reply.isSuccess()) return;
                last = new RegistryException(RegistryException.Reason.FAILED, RegistryException.Outcome.UNKNOWN,
                        "membership change refused: " + reply.getException(), reply.getException());
                if (!(reply.getException() instanceof SetConfigurationException)) throw last;
            } catch (SetConfigurationException e) {
                last = new RegistryException(RegistryException.Reason.FAILED, RegistryException.Outcome.NOT_APPLIED,
                        "configuration changed meanwhile: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new RegistryException(RegistryException.Reason.UNAVAILABLE, RegistryException.Outcome.UNKNOWN,
                        "membership change failed: " + e.getMessage(), e);
            }
        }
        throw last;
    }

    /** Asks the leader first, then every other known member, for the current configuration. */
    private Conf currentConf() {
        Set<RaftPeerId> targets = new LinkedHashSet<>();
        if (client.getLeaderId() != null) targets.add(client.getLeaderId());
        group.getPeers().forEach(p -> targets.add(p.getId()));
        IOException last = null;
        for (RaftPeerId target : targets) {
            try {
                GroupInfoReply info = client.getGroupManagementApi(target).info(group.getGroupId());
                RaftConfigurationProto conf = info.getConf().orElse(null);
                if (conf == null) continue;
                return new Conf(peers(conf.getPeersList()), peers(conf.getListenersList()));
            } catch (IOException e) {
                last = e;
            } catch (CompletionException e) {
                last = new IOException(e.getCause());
            }
        }
        throw new RegistryException(RegistryException.Reason.UNAVAILABLE, RegistryException.Outcome.NOT_APPLIED,
                "no member reported the configuration", last);
    }

    private static List<RaftPeer> peers(List<RaftPeerProto> protos) {
        return protos.stream().map(p -> RaftPeer.newBuilder()
                .setId(p.getId())
                .setAddress(p.getAddress())
                .build()).toList();
    }

    /**
     * Fails proposals not yet sent (definitely), then closes the Ratis client, which fails the
     * ones in flight (indefinitely). Close registries before the servers they talk to.
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true; // no client is replaced from here on
        }
        committer.close();
        try (RaftClient r = readClient) {
            client.close();
        } catch (IOException e) {
            throw new RegistryException(RegistryException.Reason.CLOSED, RegistryException.Outcome.UNKNOWN,
                    "closing the Ratis client: " + e.getMessage(), e);
        } finally {
            completions.shutdown();
            reads.shutdown();
            rpcFailures.shutdown();
        }
    }
}
