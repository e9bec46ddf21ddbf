package io.glint.registry.ratis;

import io.glint.registry.AuditDigester;
import io.glint.registry.model.AuditDigest;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One member of the registry's Raft group: a Ratis server (Netty transport, fsynced segmented log)
 * running a {@link RegistryStateMachine} over RocksDB in {@code storageDir}. Voters and listeners
 * come from the configured peer list; linearizable reads use Ratis's read index; automatic
 * snapshots every {@code snapshotThresholdEntries} entries let the log be purged, after which a
 * lagging or new member receives a snapshot instead of the log.
 */
public final class RegistryServer implements AutoCloseable {

    /**
     * How to run one member.
     *
     * @param clusterName              names the Raft group (its id is derived from it); equal on all members
     * @param nodeId                   this member's id; must be one of {@code peers}
     * @param peers                    every member of the initial configuration, this one included
     * @param storageDir               Raft log, metadata and the state machine's RocksDB live under it
     * @param bindHost                 the address the Raft endpoint listens on
     * @param raftPort                 the Raft endpoint's port (normally this member's port in {@code peers})
     * @param electionTimeoutMin       Raft's randomised election timeout, lower bound
     * @param electionTimeoutMax       ... upper bound; raise both on slow or CPU-starved machines
     * @param requestTimeout           a server-side request (e.g. a read index round) gives up after this
     * @param snapshotThresholdEntries take a snapshot after this many applied entries since the last one
     * @param logSegmentSizeBytes      size at which a log segment is closed (only closed segments are purged)
     * @param logPurgeGapEntries       purge the log only when at least this many entries can go
     * @param snapshotOnStop           take a snapshot when the member stops cleanly (so a restart replays
     *                                 nothing); tests turn it off to restart like after a crash
     */
    public record Config(String clusterName, String nodeId, List<RegistryPeer> peers, Path storageDir,
                         String bindHost, int raftPort, Duration electionTimeoutMin, Duration electionTimeoutMax,
                         Duration requestTimeout, long snapshotThresholdEntries, long logSegmentSizeBytes,
                         int logPurgeGapEntries, boolean snapshotOnStop) {
        public Config {
            Objects.requireNonNull(clusterName, "clusterName");
            Objects.requireNonNull(nodeId, "nodeId");
            peers = List.copyOf(peers);
            Objects.requireNonNull(storageDir, "storageDir");
            Objects.requireNonNull(bindHost, "bindHost");
            if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
                throw new IllegalArgumentException("node " + nodeId + " is not among the peers " + peers);
            }
            if (peers.stream().map(RegistryPeer::id).distinct().count() != peers.size()) {
                throw new IllegalArgumentException("duplicate peer ids in " + peers);
            }
            if (peers.stream().noneMatch(RegistryPeer::isVoter)) throw new IllegalArgumentException("no voter in " + peers);
            if (raftPort <= 0 || raftPort > 65535) throw new IllegalArgumentException("raftPort " + raftPort);
            if (electionTimeoutMin.isNegative() || electionTimeoutMin.isZero()
                    || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
                throw new IllegalArgumentException("need 0 < electionTimeoutMin < electionTimeoutMax");
            }
            if (snapshotThresholdEntries < 1) throw new IllegalArgumentException("snapshotThresholdEntries < 1");
            if (logSegmentSizeBytes < 4096) throw new IllegalArgumentException("logSegmentSizeBytes < 4096");
            if (logPurgeGapEntries < 1) throw new IllegalArgumentException("logPurgeGapEntries < 1");
        }

        public RegistryPeer self() {
            return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
        }

        public static Builder builder(String nodeId, List<RegistryPeer> peers, Path storageDir) {
            return new Builder(nodeId, peers, storageDir);
        }
    }

    /** Defaults fit a small production cluster; tests lower the snapshot threshold and segment size. */
    public static final class Builder {
        private final String nodeId;
        private final List<RegistryPeer> peers;
        private final Path storageDir;
        private String clusterName = "glint";
        private String bindHost = "0.0.0.0";
        private Integer raftPort;
        private Duration electionTimeoutMin = Duration.ofMillis(1000);
        private Duration electionTimeoutMax = Duration.ofMillis(2000);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private long snapshotThresholdEntries = 10_000;
        private long logSegmentSizeBytes = 8L << 20;
        private int logPurgeGapEntries = 1024;
        private boolean snapshotOnStop = true;

        private Builder(String nodeId, List<RegistryPeer> peers, Path storageDir) {
            this.nodeId = nodeId;
            this.peers = peers;
            this.storageDir = storageDir;
        }

        public Builder clusterName(String v) { clusterName = v; return this; }
        public Builder bindHost(String v) { bindHost = v; return this; }
        public Builder raftPort(int v) { raftPort = v; return this; }
        public Builder electionTimeout(Duration min, Duration max) { electionTimeoutMin = min; electionTimeoutMax = max; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder snapshotThresholdEntries(long v) { snapshotThresholdEntries = v; return this; }
        public Builder logSegmentSizeBytes(long v) { logSegmentSizeBytes = v; return this; }
        public Builder logPurgeGapEntries(int v) { logPurgeGapEntries = v; return this; }
        public Builder snapshotOnStop(boolean v) { snapshotOnStop = v; return this; }

        public Config build() {
            int port = raftPort != null ? raftPort
                    : peers.stream().filter(p -> p.id().equals(nodeId)).findFirst()
                            .orElseThrow(() -> new IllegalArgumentException("node " + nodeId + " is not among the peers"))
                            .port();
            return new Config(clusterName, nodeId, peers, storageDir, bindHost, port, electionTimeoutMin,
                    electionTimeoutMax, requestTimeout, snapshotThresholdEntries, logSegmentSizeBytes, logPurgeGapEntries,
                    snapshotOnStop);
        }
    }

    /** Ratis's append buffer, which bounds the size of one log entry; see {@link #properties}. */
    static final long APPEND_BUFFER_BYTES = 6L << 20;
    /** The log's write buffer (Ratis's default); it must exceed {@link #APPEND_BUFFER_BYTES}. */
    static final long LOG_WRITE_BUFFER_BYTES = 8L << 20;
    /** How Ratis names a group's directory in the storage directory: the group id. */
    private static final Pattern UUID_DIR = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final Config config;
    private final RaftGroup group;
    private final RegistryStateMachine stateMachine;
    private final RaftServer server;

    /**
     * The storage directory holds the Raft group of another cluster: this node's data was made under
     * another {@code raft.clusterName} (the group id is derived from it).
     */
    public static final class ForeignStorageException extends IllegalStateException {
        ForeignStorageException(String message) {
            super(message);
        }
    }

    private RegistryServer(Config config) throws IOException {
        this.config = config;
        this.group = group(config.clusterName(), config.peers());
        requireOwnStorage(config.storageDir(), group.getGroupId(), config.clusterName());
        this.stateMachine = new RegistryStateMachine();
        this.server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(config.nodeId()))
                .setGroup(group)
                .setStateMachine(stateMachine)
                .setProperties(properties(config))
                // Recover the existing storage, or format it when there is none (first start, wiped).
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
    }

    /**
     * Refuses storage that holds a Raft group other than {@code group}. Ratis would recover every
     * group it finds there with this one state machine, and fail with "ILLEGAL TRANSITION ...
     * STARTING -> STARTING" after it had formatted a new, empty group beside the old one; a changed
     * cluster name must not start a node afresh beside its old data either.
     */
    static void requireOwnStorage(Path storageDir, RaftGroupId group, String clusterName) throws IOException {
        if (!Files.isDirectory(storageDir)) return;
        String own = group.getUuid().toString();
        List<String> foreign;
        try (Stream<Path> entries = Files.list(storageDir)) {
            foreign = entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> UUID_DIR.matcher(name).matches() && !name.equals(own)).sorted().toList();
        }
        if (!foreign.isEmpty()) {
            throw new ForeignStorageException("the registry storage " + storageDir + " holds the Raft group of another"
                    + " cluster (" + String.join(", ", foreign) + "), not that of cluster name '" + clusterName + "' (" + own
                    + "): raft.clusterName must stay what it was when this node's data was made. To start this node"
                    + " afresh instead, move its data directory away.");
        }
    }

    /** Builds and starts a member; it joins (or forms) the group in the background. */
    public static RegistryServer start(Config config) {
        RegistryServer s;
        try {
            s = new RegistryServer(config);
        } catch (IOException e) {
            throw new UncheckedIOException("building registry server " + config.nodeId(), e);
        }
        try {
            s.server.start();
        } catch (IOException | RuntimeException e) {
            s.close();
            if (e instanceof IOException io) throw new UncheckedIOException("starting registry server " + config.nodeId(), io);
            throw (RuntimeException) e;
        }
        return s;
    }

    /** The group id every member and client of {@code clusterName} derives. */
    public static RaftGroupId groupId(String clusterName) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("glint-registry/" + clusterName).getBytes(StandardCharsets.UTF_8)));
    }

    static RaftGroup group(String clusterName, List<RegistryPeer> peers) {
        return RaftGroup.valueOf(groupId(clusterName), peers.stream().map(RegistryPeer::toRaftPeer).toList());
    }

    /** The Ratis server settings, every one we rely on set explicitly. */
    static RaftProperties properties(Config c) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        NettyConfigKeys.Server.setHost(p, c.bindHost());
        NettyConfigKeys.Server.setPort(p, c.raftPort());
        RaftServerConfigKeys.setStorageDir(p, List.of(c.storageDir().toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(c.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(c.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, millis(c.requestTimeout()));
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setTimeout(p, millis(c.requestTimeout()));
        // Durability: every entry is fsynced before it is acknowledged (the defaults, stated).
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
        RaftServerConfigKeys.Log.setUseMemory(p, false);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.logSegmentSizeBytes()));
        RaftServerConfigKeys.Log.setPurgeGap(p, c.logPurgeGapEntries());
        // Ratis refuses a log entry larger than the appender's buffer (default 4 MiB), which must
        // in turn fit the log's write buffer: room for the largest command, a 4 MiB audit report.
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(APPEND_BUFFER_BYTES));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(LOG_WRITE_BUFFER_BYTES));
        // Purge up to the snapshot even while a member lags: it then receives the snapshot.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapshotThresholdEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, RegistryStateMachine.SNAPSHOTS_RETAINED);
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, c.snapshotOnStop());
        return p;
    }

    private static TimeDuration millis(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Config config() {
        return config;
    }

    public String nodeId() {
        return config.nodeId();
    }

    public RaftGroup group() {
        return group;
    }

    public RegistryStateMachine stateMachine() {
        return stateMachine;
    }

    /**
     * This member's digest of its registry state at an audit mark's log index (DESIGN §6),
     * computed in the background when it applied the mark: "computing", then "done" with the
     * SHA-256, or "failed" with why. Empty when this member has not applied that mark: not yet,
     * or before it last restarted (digests are kept in memory, for the last
     * {@value AuditDigester#RETAINED} marks), or it skipped the mark by installing a snapshot.
     */
    public Optional<AuditDigest> auditDigest(String auditId) {
        return stateMachine.auditDigest(auditId);
    }

    private Optional<DivisionInfo> info() {
        try {
            return Optional.of(server.getDivision(group.getGroupId()).getInfo());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** LEADER, FOLLOWER, CANDIDATE or LISTENER; empty when the server is not running. */
    public Optional<RaftPeerRole> role() {
        return info().filter(DivisionInfo::isAlive).map(DivisionInfo::getCurrentRole);
    }

    public boolean isLeader() {
        return info().filter(DivisionInfo::isAlive).map(DivisionInfo::isLeader).orElse(false);
    }

    /** True once this leader has committed an entry of its term: safe for leader-only background work. */
    public boolean isLeaderReady() {
        return info().filter(DivisionInfo::isAlive).map(i -> i.isLeader() && i.isLeaderReady()).orElse(false);
    }

    /** The leader this member currently knows of. */
    public Optional<String> leaderId() {
        return info().filter(DivisionInfo::isAlive).map(DivisionInfo::getLeaderId).map(RaftPeerId::toString);
    }

    /** The current Raft configuration as this member sees it. */
    public List<RegistryPeer> members() {
        try {
            RaftConfiguration conf = server.getDivision(group.getGroupId()).getRaftConf();
            List<RegistryPeer> out = new ArrayList<>();
            conf.getCurrentPeers(RaftPeerRole.FOLLOWER).forEach(p -> out.add(RegistryPeer.fromRaftPeer(p, RegistryPeer.Role.VOTER)));
            conf.getCurrentPeers(RaftPeerRole.LISTENER).forEach(p -> out.add(RegistryPeer.fromRaftPeer(p, RegistryPeer.Role.LISTENER)));
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Ratis division of this member (log, configuration), for tests and diagnostics. */
    RaftServer.Division division() {
        try {
            return server.getDivision(group.getGroupId());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the member; close clients that talk to it first. Idempotent. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing registry server " + config.nodeId(), e);
        }
    }
}
