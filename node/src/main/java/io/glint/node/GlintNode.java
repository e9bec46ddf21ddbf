package io.glint.node;

import io.glint.node.cache.CacheApi;
import io.glint.node.cache.ImageCache;
import io.glint.node.api.ApiSettings;
import io.glint.node.api.DiscoveryApi;
import io.glint.node.api.ImageDataApi;
import io.glint.node.audit.Auditor;
import io.glint.node.auth.NoAuthAuthenticator;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.cluster.ChunkFetcher;
import io.glint.node.cluster.ClusterAdminApi;
import io.glint.node.cluster.ClusterView;
import io.glint.node.cluster.LocalChunkIndex;
import io.glint.node.cluster.Membership;
import io.glint.node.cluster.PeerApi;
import io.glint.node.cluster.PeerClient;
import io.glint.node.cluster.ReplicatedChunks;
import io.glint.node.cluster.Replicator;
import io.glint.node.config.NodeConfig;
import io.glint.node.http.HttpOptions;
import io.glint.node.http.HttpServer;
import io.glint.node.http.HttpStats;
import io.glint.node.http.Router;
import io.glint.node.image.DownloadService;
import io.glint.node.image.ImageWriter;
import io.glint.node.image.UploadService;
import io.glint.node.metrics.NodeMetrics;
import io.glint.node.reaper.Reaper;
import io.glint.node.audit.ScanReport;
import io.glint.node.consistency.AuditApi;
import io.glint.node.consistency.AuditCoordinator;
import io.glint.node.consistency.AuditPeerApi;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result;
import io.glint.registry.ratis.Registry;
import io.glint.registry.ratis.RegistryPeer;
import io.glint.registry.ratis.RegistryServer;
import io.glint.registry.rocks.RocksNative;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One running node: its registry member (Ratis over RocksDB), its chunk store, the data services
 * and the HTTP API, started in that order and closed in the reverse order.
 */
public final class GlintNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GlintNode.class);
    /** Bounds of the node's own executors. */
    static final int IMPORT_TASKS_MAX = 4;
    static final int IMPORT_QUEUE_MAX = 64;
    static final Duration PEER_TIMEOUT = Duration.ofSeconds(30);
    /** An audit's calls to the nodes answer at once (scans run in the background and are polled). */
    static final Duration AUDIT_PEER_TIMEOUT = Duration.ofSeconds(60);
    static final int PEER_IO_THREADS = 16;
    static final int PEER_IO_QUEUE_MAX = 256;

    private final NodeConfig config;
    private final RegistryServer registryServer;
    private final Registry registry;
    private final ExecutorService dataWorkers;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService importTasks;
    private final HttpServer http;
    private final ClusterView view;
    private final LocalChunkIndex index;
    private final PeerApi peerApi;
    private final HttpServer peerServer;
    private final PeerClient peerClient;
    private final ChunkFetcher chunkFetcher;
    private final ExecutorService peerIo;
    private final ThreadPoolExecutor statusProbes;
    private final ReplicatedChunks replicated;
    private final Membership membership;
    private final Replicator replicator;
    private final Auditor auditor;
    private final Reaper reaper;
    private final ExecutorService replication;
    private final ExecutorService cacheWorker;
    private final ImageCache cache;
    private final ExecutorService auditScans;
    private final ExecutorService auditRunner;
    private final java.util.concurrent.atomic.AtomicBoolean replicationQueued = new java.util.concurrent.atomic.AtomicBoolean();

    public GlintNode(NodeConfig config, Path baseDir) throws IOException, InterruptedException {
        this.config = config;
        Path data = baseDir.resolve(config.node().dataDir()).normalize();
        Files.createDirectories(data);
        // RocksDB's native library goes to a fixed place in the data directory, not a new temp file per start
        RocksNative.loadInto(data.resolve("native"));
        // A founder lists the peers; a later node asks a running one (raft.join) and keeps the answer.
        Path joinedPeers = data.resolve("raft-peers.txt");
        boolean freshJoin = false;
        List<RegistryPeer> peers;
        if (config.raft().join() == null) {
            peers = peers(config);
        } else if (Files.exists(joinedPeers)) {
            peers = readPeers(joinedPeers);
        } else {
            peers = Join.membersFrom(config.raft().join(), config.raft().clusterName(),
                    RegistryPeer.listener(config.node().id(), config.raft().host() + ":" + config.raft().port()));
            freshJoin = true;
        }
        registryServer = RegistryServer.start(RegistryServer.Config.builder(config.node().id(), peers, data.resolve("registry"))
                .clusterName(config.raft().clusterName())
                .bindHost(config.raft().host())
                .raftPort(config.raft().port())
                .electionTimeout(config.raft().electionTimeoutDuration(), config.raft().electionTimeoutDuration().multipliedBy(2))
                .build());
        registry = Registry.builder(registryServer).build();
        RegistryClient client = registry;
        if (freshJoin) {
            Join.complete(registry, registryServer.config().self(), peers, config.raft().voters());
            writePeers(joinedPeers, registry.members());
        }

        ChunkStore chunks = new ChunkStore(data.resolve("chunks"));
        chunks.sizeReadBuffers((int) config.chunk().size().bytes());
        long capacityBytes = config.node().capacity() != null ? config.node().capacity().bytes()
                : Files.getFileStore(chunks.volume()).getTotalSpace();
        registerSelf(client, capacityBytes, config.peer().port());
        view = new ClusterView(client, config.node().id(), config.replication().factor());
        membership = new Membership(client, view, registryServer::isLeaderReady, Clock.systemUTC(),
                () -> System.nanoTime() / 1_000_000, config.replication().downAfterSeconds() * 1000L);
        // Heartbeats start now: the rest of start-up (a catching-up registry member, the chunk scan)
        // may take longer than downAfterSeconds, and a registered node that stays silent is marked DOWN.
        scheduler = Executors.newScheduledThreadPool(3, daemon("scheduler")); // heartbeats, lease renewals, replication timer
        long heartbeatMillis = config.replication().heartbeatSeconds() * 1000L;
        scheduler.scheduleWithFixedDelay(() -> guarded("membership", membership::tick), heartbeatMillis, heartbeatMillis,
                TimeUnit.MILLISECONDS);
        awaitOwnRecord(view);
        index = LocalChunkIndex.build(chunks, view.placement().pgCount());
        peerApi = new PeerApi(chunks, index, config.peer().inFlightBytesMax().bytes());
        Router peerRouter = peerApi.router();
        // The audit's node side is on the peer port from the start; the auditor it scans with comes later.
        auditScans = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
                daemon("audit-scan"));
        new AuditPeerApi(this::scanForAudit, registryServer::auditDigest, this::triggerReplication, auditScans).register(peerRouter);
        peerServer = new HttpServer(HttpOptions.defaults(config.peer().host(), config.peer().port()), peerRouter,
                PeerApi.secretAuthenticator(config.peer().secret()), path -> path);
        if (config.peer().port() == 0) registerSelf(client, capacityBytes, peerServer.port()); // the address it really has
        peerClient = new PeerClient(config.peer().secret(), PEER_TIMEOUT);
        peerIo = new ThreadPoolExecutor(PEER_IO_THREADS, PEER_IO_THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(PEER_IO_QUEUE_MAX), daemon("peer-io"));
        chunkFetcher = new ChunkFetcher(config.peer().secret(), ChunkFetcher.Limits.defaults(), chunks::readBuffers);
        replicated = new ReplicatedChunks(view, chunks, peerClient, chunkFetcher, peerIo, config.replication()::acksFor,
                PEER_TIMEOUT.toMillis());
        replicator = new Replicator(view, index, chunks, peerClient, client,
                new Replicator.Throttle(config.replication().bytesPerSecond().bytes()));

        // hashing lanes, chunk writes and downloads' read-aheads share this pool; chunk writes block in
        // fsync and read-aheads in reads and peer fetches, so it has more threads than cores (bounded:
        // 2 per core + 2, plus the fetches one download from peers keeps waiting on the network)
        dataWorkers = Executors.newFixedThreadPool(2 * Runtime.getRuntime().availableProcessors() + 2
                + DownloadService.READ_AHEAD_REMOTE_CHUNKS, daemon("data-worker"));
        replication = Executors.newSingleThreadExecutor(daemon("replicator"));
        importTasks = new ThreadPoolExecutor(IMPORT_TASKS_MAX, IMPORT_TASKS_MAX, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(IMPORT_QUEUE_MAX), daemon("import-task"));
        ImageWriter writer = new ImageWriter(replicated, dataWorkers, ImageWriter.Config.defaults()
                .withChunkSizeBytes((int) config.chunk().size().bytes())
                .withInFlightChunksMax(config.upload().inFlightChunksMax())
                .withImageSizeCapBytes(config.upload().imageSizeCap().bytes()));
        Clock clock = Clock.systemUTC();
        UploadService uploads = new UploadService(client, writer, scheduler, clock, config.node().id(),
                UploadService.Config.of(config.upload().leaseSeconds() * 1000L, config.upload().maxDurationSeconds() * 1000L));
        // A copy a download finds bad is quarantined by the store; its group is repaired now rather
        // than at the replicator's next periodic pass.
        DownloadService downloads = new DownloadService(client, chunks, 30_000, dataWorkers, replicated::fetchBuffer,
                bad -> replicator.requestGroup(view.placement().groupOf(bad.id())));
        ApiSettings settings = new ApiSettings(config.api().importMethods(), config.api().delayedDelete(),
                config.api().webDownloadAllowedHosts());
        Router router = NodeRoutes.build(client, settings, clock);
        cacheWorker = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(ImageCache.QUEUE_MAX),
                daemon("cache-prefetch"));
        cache = new ImageCache(client, chunks, replicated::fetch, cacheWorker,
                new Replicator.Throttle(config.replication().bytesPerSecond().bytes()), data.resolve("cache.json"),
                config.cache().maxSize().bytes(), clock);
        replicator.pinWith(cache::isPinned);
        new CacheApi(cache).register(router);
        new ImageDataApi(client, uploads, downloads, settings, clock, importTasks, config.node().id())
                .onDownload(cache::recordHit).register(router);
        NodeConfig.Audit audit = config.audit();
        auditor = new Auditor(chunks, index, view, client, replicator::requestGroup, clock,
                new Auditor.Settings(audit.enabled(), audit.lightIntervalSeconds() * 1000L, audit.deepIntervalSeconds() * 1000L),
                new Auditor.Pacing(new Replicator.Throttle(audit.bytesPerSecond().bytes()), new Replicator.Throttle(audit.filesPerSecond())),
                new Auditor.Pacing(new Replicator.Throttle(audit.scanBytesPerSecond().bytes()),
                        new Replicator.Throttle(audit.scanFilesPerSecond())));
        NodeConfig.Reaper reaping = config.reaper();
        reaper = new Reaper(chunks, index, client, registryServer::isLeaderReady, clock, () -> System.nanoTime() / 1_000_000,
                Reaper.Settings.of(reaping.intervalSeconds() * 1000L, reaping.graceSeconds() * 1000L,
                        config.delete().delaySeconds() * 1000L, reaping.quarantineRetentionSeconds() * 1000L,
                        config.upload().leaseSeconds() * 1000L),
                new Replicator.Throttle(reaping.deletesPerSecond()));
        statusProbes = new ThreadPoolExecutor(ClusterAdminApi.STATUS_PROBE_THREADS, ClusterAdminApi.STATUS_PROBE_THREADS, 30,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(ClusterAdminApi.STATUS_PROBES_QUEUED_MAX), daemon("status-probe"));
        statusProbes.allowCoreThreadTimeOut(true); // idle between status calls
        new ClusterAdminApi(registry, registryServer, view, peerClient, replicator, replicated, chunks, clock, statusProbes)
                .section("membership", membership::counters)
                .section("auditor", auditor::counters)
                .section("reaper", reaper::counters)
                .section("cache", cache::counters)
                .register(router);
        auditRunner = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
                daemon("audit-coordinator"));
        new AuditApi(new AuditCoordinator(client, view, peerClient.withTimeout(AUDIT_PEER_TIMEOUT), auditRunner, clock), client)
                .register(router);
        NodeMetrics metrics = new NodeMetrics();
        registerMetrics(metrics, chunks, uploads, downloads);
        metrics.register(router);
        HttpOptions http = HttpOptions.defaults(config.http().host(), config.http().port());
        this.http = new HttpServer(http, router, new NoAuthAuthenticator(config.auth().defaultProject()),
                DiscoveryApi::normalize);
        registerHttpMetrics(metrics, "glint.http", this.http);
        registerHttpMetrics(metrics, "glint.peer.http", peerServer);

        long intervalMillis = config.replication().intervalSeconds() * 1000L;
        scheduler.scheduleWithFixedDelay(this::triggerReplication, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        view.onChange(this::triggerReplication);
        replicator.onGroupRequested(this::triggerReplication);
        auditor.start();
        reaper.start();
    }

    /**
     * The node's counters at {@code /metrics} (DESIGN §8): what each service already counts for the
     * status page, read at every scrape.
     */
    private void registerMetrics(NodeMetrics m, ChunkStore chunks, UploadService uploads, DownloadService downloads) {
        m.gauge("glint.registry.leader", () -> registryServer.isLeaderReady() ? 1 : 0)
                .gauge("glint.chunk_store.chunks", index::chunkCount)
                .counter("glint.chunk_store.chunks_written", chunks::chunksWritten)
                .counter("glint.chunk_store.bytes_written", chunks::bytesWritten)
                .counter("glint.chunk_store.dedup_hits", chunks::dedupHits)
                .counter("glint.chunk_store.corrupt_found", chunks::corruptFound)
                .counter("glint.upload.images", uploads::uploadsCommitted)
                .counter("glint.upload.bytes", uploads::bytesCommitted)
                .counter("glint.upload.failures", uploads::uploadsFailed)
                .counter("glint.download.images", downloads::downloads)
                .counter("glint.download.bytes", downloads::bytesSent)
                .counter("glint.download.broken_off", downloads::brokenOff)
                .counter("glint.download.chunks_from_peers", downloads::chunksFromPeers)
                .counter("glint.peer.chunks_served", peerApi::chunksServed)
                .counter("glint.peer.bytes_served", peerApi::bytesServed)
                .counter("glint.peer.chunks_received", peerApi::chunksReceived)
                .counter("glint.peer.bytes_received", peerApi::bytesReceived)
                .counter("glint.peer.refused_busy", peerApi::refusedBusy)
                .counter("glint.peer.bytes_sent", peerClient::bytesSent)
                .counter("glint.peer.bytes_fetched", () -> peerClient.bytesFetched() + chunkFetcher.bytesFetched())
                .counter("glint.peer.bad_copies", () -> peerClient.badCopies() + chunkFetcher.badCopies())
                .counter("glint.replication.writes_under_replicated", replicated::underReplicatedWrites)
                .counter("glint.replication.fetch_failovers", replicated::fetchFailovers)
                .counter("glint.replicator.passes", replicator::passes)
                .gauge("glint.replicator.under_replicated_chunks", replicator::missingLastPass)
                .counter("glint.replicator.chunks_fetched", replicator::chunksFetched)
                .counter("glint.replicator.bytes_fetched", replicator::bytesFetched)
                .counter("glint.replicator.chunks_handed_off", replicator::chunksHandedOff)
                .counter("glint.replicator.fetch_failures", replicator::fetchFailures)
                .counter("glint.membership.heartbeats", membership::heartbeats)
                .counter("glint.membership.heartbeat_failures", membership::heartbeatFailures)
                .counter("glint.membership.marked_down", membership::markedDown)
                .counter("glint.auditor.passes", auditor::passes)
                .counter("glint.auditor.deep_passes", auditor::deepPasses)
                .counter("glint.auditor.scans", auditor::scans)
                .counter("glint.auditor.chunks_checked", auditor::chunksChecked)
                .counter("glint.auditor.bytes_verified", auditor::bytesVerified)
                .counter("glint.auditor.corrupt_found", auditor::corruptFound)
                .counter("glint.auditor.truncated_found", auditor::truncatedFound)
                .counter("glint.auditor.missing_found", auditor::missingFound)
                .counter("glint.auditor.quarantined", auditor::quarantined)
                .counter("glint.reaper.passes", reaper::passes)
                .counter("glint.reaper.images_purged", reaper::purged)
                .counter("glint.reaper.leases_expired", reaper::leasesExpired)
                .counter("glint.reaper.orphans_deleted", reaper::orphansDeleted)
                .counter("glint.reaper.orphan_bytes", reaper::orphanBytes)
                .counter("glint.reaper.registry_failures", reaper::registryFailures)
                .gauge("glint.cache.images", cache::imagesCached)
                .gauge("glint.cache.images_queued", cache::imagesQueued)
                .gauge("glint.cache.bytes", cache::bytesCached)
                .counter("glint.cache.chunks_pulled", cache::chunksPulled)
                .counter("glint.cache.bytes_pulled", cache::bytesPulled);
    }

    /** One HTTP server's answers, under {@code prefix}. */
    private static void registerHttpMetrics(NodeMetrics m, String prefix, HttpServer server) {
        HttpStats s = server.stats();
        for (int c = 1; c <= 5; c++) {
            int statusClass = c;
            m.counter(prefix + ".responses_" + c + "xx", () -> s.responses(statusClass));
        }
        m.counter(prefix + ".bodies_broken_off", s::brokenOff)
                .counter(prefix + ".refused_busy", s::refusedBusy)
                .gauge(prefix + ".workers_busy", server::workersBusy)
                .gauge(prefix + ".workers_queued", server::workersQueued)
                .metric(prefix + ".request_seconds", s.handled());
    }

    /** A consistency audit's scan of this node's chunks (DESIGN §6), by the auditor at its scan rate. */
    private AuditPeerApi.Outcome scanForAudit(boolean deep, boolean quarantineBad) throws Exception {
        Auditor a = auditor;
        if (a == null) throw new IllegalStateException("the node is still starting");
        ScanReport r = a.scan(deep, quarantineBad);
        long chunksScanned = 0;
        long bytes = 0;
        java.util.List<String> corrupt = new ArrayList<>();
        java.util.List<String> truncated = new ArrayList<>();
        java.util.List<String> missing = new ArrayList<>();
        for (ScanReport.Group g : r.groups()) {
            chunksScanned += g.chunks();
            bytes += g.bytes();
            corrupt.addAll(g.corrupt());
            truncated.addAll(g.truncated());
            missing.addAll(g.missing());
        }
        if (!r.complete()) throw new IllegalStateException("the scan skipped groups " + r.skippedGroups());
        return new AuditPeerApi.Outcome(chunksScanned, bytes, corrupt, truncated, missing,
                r.quarantined() ? corrupt.size() + truncated.size() : 0);
    }

    /** Queues a replicator pass unless one is queued or running (passes never pile up). */
    private void triggerReplication() {
        if (replication == null) return; // still starting: the first pass comes with the timer
        if (!replicationQueued.compareAndSet(false, true)) return;
        try {
            replication.execute(() -> {
                replicationQueued.set(false);
                guarded("replicator", replicator::runPass);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            replicationQueued.set(false); // shutting down
        }
    }

    private static void guarded(String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("{} failed: {}", what, e.toString());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static List<RegistryPeer> peers(NodeConfig config) {
        List<RegistryPeer> peers = new ArrayList<>();
        List<String> spec = config.raft().peers().isEmpty()
                ? List.of(config.node().id() + "@" + config.raft().host() + ":" + config.raft().port())
                : config.raft().peers();
        for (String p : spec) {
            int at = p.indexOf('@');
            if (at <= 0) throw new IllegalArgumentException("raft.peers entries are id@host:port, got '" + p + "'");
            peers.add(RegistryPeer.voter(p.substring(0, at), p.substring(at + 1)));
        }
        return RegistryPeer.firstVoters(peers, config.raft().voters());
    }

    /** Refreshes the view until it holds this node's own record (bounded): placement needs it. */
    private static void awaitOwnRecord(ClusterView view) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            view.refresh();
            if (view.placement().node(view.selfId()) != null) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("the registry did not show this node within 120 s");
            LOG.info("waiting for the registry to show node {} in the node table", view.selfId());
            Thread.sleep(500);
        }
    }

    private static List<RegistryPeer> readPeers(Path file) throws IOException {
        List<RegistryPeer> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split(" ");
            if (f.length != 3) continue;
            out.add(new RegistryPeer(f[0], f[1], RegistryPeer.Role.valueOf(f[2])));
        }
        if (out.isEmpty()) throw new IOException(file + " lists no Raft members; delete it to join again");
        return out;
    }

    private static void writePeers(Path file, List<RegistryPeer> members) throws IOException {
        StringBuilder b = new StringBuilder();
        for (RegistryPeer m : members) b.append(m.id()).append(' ').append(m.address()).append(' ').append(m.role()).append('\n');
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, b.toString());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Records this node in the registry's node table (retried while the group elects a leader). */
    private void registerSelf(RegistryClient client, long capacityBytes, int peerPort) throws InterruptedException {
        NodeInfo me = new NodeInfo(config.node().id(), config.http().host() + ":" + config.http().port(),
                config.peer().host() + ":" + peerPort, config.raft().host() + ":" + config.raft().port(),
                config.node().zone(), capacityBytes, NodeState.UP, 0, 0);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            try {
                Result r = client.propose(new Command.JoinNode(System.currentTimeMillis(), me)).get(30, TimeUnit.SECONDS);
                if (r.isOk()) return;
                throw new IllegalStateException("joining the node table failed: " + r);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("the registry did not accept this node", e);
                LOG.info("waiting for the registry to accept node {}: {}", me.id(), e.toString());
                Thread.sleep(500);
            }
        }
    }

    public int httpPort() {
        return http.port();
    }

    public int peerPort() {
        return peerServer.port();
    }

    public Replicator replicator() {
        return replicator;
    }

    public ClusterView view() {
        return view;
    }

    public Auditor auditor() {
        return auditor;
    }

    public Reaper reaper() {
        return reaper;
    }

    @Override
    public void close() {
        auditor.close();
        reaper.close();
        auditRunner.shutdownNow();
        auditScans.shutdownNow();
        http.close();
        peerServer.close();
        replication.shutdownNow();
        cacheWorker.shutdownNow();
        peerIo.shutdownNow();
        statusProbes.shutdownNow();
        chunkFetcher.close();
        importTasks.shutdownNow();
        scheduler.shutdownNow();
        dataWorkers.shutdownNow();
        registry.close();
        registryServer.close();
    }
}
