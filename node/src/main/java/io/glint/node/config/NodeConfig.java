package io.glint.node.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Duration;
import java.util.List;

/**
 * A node's configuration (DESIGN §9), read from YAML: every key has a default, an unknown key is an
 * error at start. Sizes take units ({@code 4MiB}); durations are ISO-8601 or {@code 30s}/{@code 500ms}.
 */
public record NodeConfig(Node node, Http http, Raft raft, Auth auth, Api api, Chunk chunk, Upload upload, Peer peer,
                         Replication replication, Delete delete, Reaper reaper, Audit audit, Cache cache) {

    @JsonCreator
    public NodeConfig(@JsonProperty("node") Node node, @JsonProperty("http") Http http,
                      @JsonProperty("raft") Raft raft, @JsonProperty("auth") Auth auth, @JsonProperty("api") Api api,
                      @JsonProperty("chunk") Chunk chunk, @JsonProperty("upload") Upload upload,
                      @JsonProperty("peer") Peer peer, @JsonProperty("replication") Replication replication,
                      @JsonProperty("delete") Delete delete, @JsonProperty("reaper") Reaper reaper,
                      @JsonProperty("audit") Audit audit, @JsonProperty("cache") Cache cache) {
        this.node = node == null ? new Node(null, null, null, null) : node;
        this.http = http == null ? new Http(null, null) : http;
        this.raft = raft == null ? new Raft(null, null, null, null, null, null, null) : raft;
        this.auth = auth == null ? new Auth(null, null) : auth;
        this.api = api == null ? new Api(null, null, null) : api;
        this.chunk = chunk == null ? new Chunk(null) : chunk;
        this.upload = upload == null ? new Upload(null, null, null, null, null) : upload;
        this.peer = peer == null ? new Peer(null, null, null, null) : peer;
        this.replication = replication == null ? new Replication(null, null, null, null, null, null) : replication;
        this.delete = delete == null ? new Delete(null) : delete;
        this.reaper = reaper == null ? new Reaper(null, null, null, null) : reaper;
        this.audit = audit == null ? new Audit(null, null, null, null, null, null, null) : audit;
        this.cache = cache == null ? new Cache(null) : cache;
        // An upload in flight must never lose a chunk to the orphan reaper (DESIGN §6).
        if (this.reaper.graceSeconds() <= this.upload.maxDurationSeconds()) {
            throw new IllegalArgumentException("reaper.graceSeconds (" + this.reaper.graceSeconds()
                    + ") must be greater than upload.maxDurationSeconds (" + this.upload.maxDurationSeconds()
                    + "): a chunk of an upload in flight is unreferenced until the upload commits");
        }
    }

    /** The config with every default (what an empty file gives). */
    public static NodeConfig defaults() {
        return new NodeConfig(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** @param id unique node id; @param dataDir where the registry and the chunks live */
    /**
     * @param zone     failure domain (rack, room, site): replicas of a group go to distinct zones while there are enough
     * @param capacity placement weight; absent: the size of the data volume's file system
     */
    public record Node(String id, String dataDir, String zone, DataSize capacity) {
        public Node {
            id = id == null ? "node-1" : id;
            dataDir = dataDir == null ? "data/" + id : dataDir;
            zone = zone == null ? "default" : zone;
            if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw new IllegalArgumentException("node.id must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit, got '" + id + "'");
            }
        }
    }

    /**
     * The peer transport (chunk put/get/has/list between nodes, DESIGN §8).
     *
     * @param secret           shared by every node of the cluster; requests without it get 401
     * @param inFlightBytesMax chunk bytes this node holds for peer requests at once (more waits, then 503)
     */
    public record Peer(String host, Integer port, String secret, DataSize inFlightBytesMax) {
        public Peer {
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? 9595 : port;
            secret = secret == null ? "glint-local-dev-secret" : secret;
            inFlightBytesMax = inFlightBytesMax == null ? DataSize.mib(256) : inFlightBytesMax;
            if (secret.length() < 8) throw new IllegalArgumentException("peer.secret must have at least 8 characters");
            if (inFlightBytesMax.bytes() < (64L << 20)) throw new IllegalArgumentException("peer.inFlightBytesMax must be >= 64MiB (one largest chunk)");
        }
    }

    /**
     * @param factor           R, replicas per chunk (capped by the nodes that are up)
     * @param writeAcks        replicas that must hold a chunk durably before the upload goes on: a number or "all"
     * @param downAfterSeconds a node silent this long is marked DOWN and its groups re-placed
     * @param heartbeatSeconds how often a node reports itself alive
     * @param bytesPerSecond   the replicator's I/O budget (foreground traffic keeps priority)
     * @param intervalSeconds  how often the replicator compares every group it holds
     */
    public record Replication(Integer factor, String writeAcks, Integer downAfterSeconds, Integer heartbeatSeconds,
                              DataSize bytesPerSecond, Integer intervalSeconds) {
        public Replication {
            factor = factor == null ? 3 : factor;
            writeAcks = writeAcks == null ? "2" : writeAcks;
            downAfterSeconds = downAfterSeconds == null ? 30 : downAfterSeconds;
            heartbeatSeconds = heartbeatSeconds == null ? 2 : heartbeatSeconds;
            bytesPerSecond = bytesPerSecond == null ? DataSize.mib(100) : bytesPerSecond;
            intervalSeconds = intervalSeconds == null ? 10 : intervalSeconds;
            if (factor < 1 || factor > 7) throw new IllegalArgumentException("replication.factor must be 1..7");
            if (!writeAcks.equals("all")) {
                int n;
                try {
                    n = Integer.parseInt(writeAcks);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("replication.writeAcks must be a number or 'all', got '" + writeAcks + "'");
                }
                if (n < 1 || n > factor) throw new IllegalArgumentException("replication.writeAcks must be 1..factor or 'all'");
            }
            if (heartbeatSeconds < 1) throw new IllegalArgumentException("replication.heartbeatSeconds must be >= 1");
            if (downAfterSeconds < 2 * heartbeatSeconds) {
                throw new IllegalArgumentException("replication.downAfterSeconds must be at least twice heartbeatSeconds");
            }
            if (bytesPerSecond.bytes() < (1L << 20)) throw new IllegalArgumentException("replication.bytesPerSecond must be >= 1MiB");
            if (intervalSeconds < 1) throw new IllegalArgumentException("replication.intervalSeconds must be >= 1");
        }

        /** Acks needed for a chunk whose replica set has {@code replicas} nodes. */
        public int acksFor(int replicas) {
            return writeAcks.equals("all") ? replicas : Math.min(Integer.parseInt(writeAcks), replicas);
        }
    }

    public record Http(String host, Integer port) {
        public Http {
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? 9292 : port;
        }
    }

    /**
     * @param peers   every registry member as {@code id@host:port}, this node included; empty: this node alone
     * @param voters  how many of {@code peers} (in order) vote; the rest are listeners
     */
    /**
     * @param peers the founding members, {@code id@host:port}, the same list on each of them
     * @param join  instead of peers: the HTTP address ({@code host:port}) of any running node; a new
     *              node asks it for the members and joins as a listener, then becomes a voter while
     *              the group has fewer than {@code voters}
     */
    public record Raft(String host, Integer port, List<String> peers, Integer voters, String clusterName,
                       String electionTimeout, String join) {
        public Raft {
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? 9494 : port;
            peers = peers == null ? List.of() : List.copyOf(peers);
            voters = voters == null ? 3 : voters;
            clusterName = clusterName == null ? "glint" : clusterName;
            electionTimeout = electionTimeout == null ? "1s" : electionTimeout;
            if (join != null && !peers.isEmpty()) {
                throw new IllegalArgumentException("raft.join and raft.peers exclude each other: founders list peers, later nodes join");
            }
            if (join != null && !join.matches("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}")) {
                throw new IllegalArgumentException("raft.join is host:port of a running node's HTTP API, got '" + join + "'");
            }
        }

        public Duration electionTimeoutDuration() {
            return Durations.parse(electionTimeout);
        }
    }

    /** @param mode only {@code noauth} so far; @param defaultProject the project noauth requests act in */
    public record Auth(String mode, String defaultProject) {
        public Auth {
            mode = mode == null ? "noauth" : mode;
            defaultProject = defaultProject == null ? "admin-project" : defaultProject;
            if (!mode.equals("noauth")) throw new IllegalArgumentException("auth.mode: only 'noauth' is supported, got " + mode);
        }
    }

    public record Api(List<String> importMethods, Boolean delayedDelete, List<String> webDownloadAllowedHosts) {
        public Api {
            importMethods = importMethods == null ? List.of("glance-direct", "web-download", "copy-image") : List.copyOf(importMethods);
            delayedDelete = delayedDelete != null && delayedDelete;
            webDownloadAllowedHosts = webDownloadAllowedHosts == null ? List.of() : List.copyOf(webDownloadAllowedHosts);
        }
    }

    public record Chunk(DataSize size) {
        public Chunk {
            size = size == null ? DataSize.mib(4) : size;
            if (size.bytes() < 4096 || size.bytes() > (64L << 20)) {
                throw new IllegalArgumentException("chunk.size must be between 4KiB and 64MiB, got " + size.bytes());
            }
        }
    }

    /**
     * @param inFlightChunksMax  chunk buffers an upload may hold at once (memory = this x chunk size)
     * @param imageSizeCap       spec §7.2 {@code image_size_cap}
     * @param concurrentMax      uploads one node runs at once
     * @param leaseSeconds       an upload's lease lasts this long unless renewed (renewed every third of it);
     *                           a coordinator that dies leaves the image saving until its lease has expired
     *                           and the reaper has taken it back
     * @param maxDurationSeconds the longest one upload may run; a longer one fails with 408 and its lease
     *                           is given back. The orphan reaper's grace must exceed it.
     */
    public record Upload(Integer inFlightChunksMax, DataSize imageSizeCap, Integer concurrentMax, Integer leaseSeconds,
                         Integer maxDurationSeconds) {
        public Upload {
            inFlightChunksMax = inFlightChunksMax == null ? 4 : inFlightChunksMax;
            imageSizeCap = imageSizeCap == null ? new DataSize(1L << 40) : imageSizeCap;
            concurrentMax = concurrentMax == null ? 16 : concurrentMax;
            leaseSeconds = leaseSeconds == null ? 60 : leaseSeconds;
            maxDurationSeconds = maxDurationSeconds == null ? 21_600 : maxDurationSeconds;
            if (inFlightChunksMax < 1 || inFlightChunksMax > 64) throw new IllegalArgumentException("upload.inFlightChunksMax must be 1..64");
            if (leaseSeconds < 3) throw new IllegalArgumentException("upload.leaseSeconds must be >= 3 (it is renewed every third of it)");
            if (maxDurationSeconds < 1) throw new IllegalArgumentException("upload.maxDurationSeconds must be >= 1");
        }
    }

    /**
     * Delayed delete (Glance's scrubber): with {@code api.delayedDelete}, a deleted image waits in
     * {@code pending_delete}, its data kept, until the reaper purges it.
     *
     * @param delaySeconds how long an image stays pending_delete; 0: purged at the reaper's next pass
     */
    public record Delete(Integer delaySeconds) {
        public Delete {
            delaySeconds = delaySeconds == null ? 0 : delaySeconds;
            if (delaySeconds < 0) throw new IllegalArgumentException("delete.delaySeconds must be >= 0");
        }
    }

    /**
     * The reaper (DESIGN §6): purges pending_delete images and expires dead uploads' leases (on the
     * Raft leader), deletes this node's unreferenced chunks, cleans tmp/ and quarantine/.
     *
     * @param intervalSeconds            how often a pass runs
     * @param graceSeconds               an unreferenced chunk is deleted only once untouched this long;
     *                                   must exceed upload.maxDurationSeconds
     * @param deletesPerSecond           chunk and file deletes (and registry purges/expiries) per second at most
     * @param quarantineRetentionSeconds quarantined chunk files are kept this long for inspection
     */
    public record Reaper(Integer intervalSeconds, Integer graceSeconds, Integer deletesPerSecond,
                         Integer quarantineRetentionSeconds) {
        public Reaper {
            intervalSeconds = intervalSeconds == null ? 60 : intervalSeconds;
            graceSeconds = graceSeconds == null ? 25_200 : graceSeconds;
            deletesPerSecond = deletesPerSecond == null ? 100 : deletesPerSecond;
            quarantineRetentionSeconds = quarantineRetentionSeconds == null ? 7 * 86_400 : quarantineRetentionSeconds;
            if (intervalSeconds < 1) throw new IllegalArgumentException("reaper.intervalSeconds must be >= 1");
            if (graceSeconds < 1) throw new IllegalArgumentException("reaper.graceSeconds must be >= 1");
            if (deletesPerSecond < 1) throw new IllegalArgumentException("reaper.deletesPerSecond must be >= 1");
            if (quarantineRetentionSeconds < 0) throw new IllegalArgumentException("reaper.quarantineRetentionSeconds must be >= 0");
        }
    }

    /**
     * The auditor (DESIGN §6): a light pass checks that every chunk the registry expects here exists
     * with the registry's length; a deep pass re-hashes every local chunk. Bad chunks are quarantined
     * and the replicator restores them.
     *
     * @param bytesPerSecond     bytes the background passes read per second at most
     * @param filesPerSecond     chunk files the background passes look at per second at most
     * @param scanBytesPerSecond bytes per second of an operator-triggered consistency scan
     * @param scanFilesPerSecond files per second of an operator-triggered consistency scan
     */
    public record Audit(Boolean enabled, DataSize bytesPerSecond, Integer filesPerSecond, Integer lightIntervalSeconds,
                        Integer deepIntervalSeconds, DataSize scanBytesPerSecond, Integer scanFilesPerSecond) {
        public Audit {
            enabled = enabled == null || enabled;
            bytesPerSecond = bytesPerSecond == null ? DataSize.mib(20) : bytesPerSecond;
            filesPerSecond = filesPerSecond == null ? 200 : filesPerSecond;
            lightIntervalSeconds = lightIntervalSeconds == null ? 3_600 : lightIntervalSeconds;
            deepIntervalSeconds = deepIntervalSeconds == null ? 7 * 86_400 : deepIntervalSeconds;
            scanBytesPerSecond = scanBytesPerSecond == null ? DataSize.mib(200) : scanBytesPerSecond;
            scanFilesPerSecond = scanFilesPerSecond == null ? 5_000 : scanFilesPerSecond;
            if (bytesPerSecond.bytes() < (1L << 20)) throw new IllegalArgumentException("audit.bytesPerSecond must be >= 1MiB");
            if (scanBytesPerSecond.bytes() < (1L << 20)) throw new IllegalArgumentException("audit.scanBytesPerSecond must be >= 1MiB");
            if (filesPerSecond < 1) throw new IllegalArgumentException("audit.filesPerSecond must be >= 1");
            if (scanFilesPerSecond < 1) throw new IllegalArgumentException("audit.scanFilesPerSecond must be >= 1");
            if (lightIntervalSeconds < 1) throw new IllegalArgumentException("audit.lightIntervalSeconds must be >= 1");
            if (deepIntervalSeconds < 1) throw new IllegalArgumentException("audit.deepIntervalSeconds must be >= 1");
        }
    }

    /**
     * Glance's image cache on this node (spec §4.19): images queued with {@code PUT /v2/cache/{id}}
     * are pulled whole onto this node's volume.
     *
     * @param maxSize what {@code POST /v2/cache/prune} shrinks the cache to
     */
    public record Cache(DataSize maxSize) {
        public Cache {
            maxSize = maxSize == null ? DataSize.mib(10 * 1024) : maxSize;
        }
    }
}
