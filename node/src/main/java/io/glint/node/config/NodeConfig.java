package io.glint.node.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Duration;
import java.util.List;

/**
 * A node's configuration (DESIGN §9), read from YAML: every key has a default, an unknown key is an
 * error at start. Sizes take units ({@code 4MiB}); durations are ISO-8601 or {@code 30s}/{@code 500ms}.
 */
public record NodeConfig(Node node, Http http, Raft raft, Auth auth, Api api, Chunk chunk, Upload upload) {

    @JsonCreator
    public NodeConfig(@JsonProperty("node") Node node, @JsonProperty("http") Http http,
                      @JsonProperty("raft") Raft raft, @JsonProperty("auth") Auth auth, @JsonProperty("api") Api api,
                      @JsonProperty("chunk") Chunk chunk, @JsonProperty("upload") Upload upload) {
        this.node = node == null ? new Node(null, null) : node;
        this.http = http == null ? new Http(null, null) : http;
        this.raft = raft == null ? new Raft(null, null, null, null, null, null) : raft;
        this.auth = auth == null ? new Auth(null, null) : auth;
        this.api = api == null ? new Api(null, null, null) : api;
        this.chunk = chunk == null ? new Chunk(null) : chunk;
        this.upload = upload == null ? new Upload(null, null, null) : upload;
    }

    /** @param id unique node id; @param dataDir where the registry and the chunks live */
    public record Node(String id, String dataDir) {
        public Node {
            id = id == null ? "node-1" : id;
            dataDir = dataDir == null ? "data/" + id : dataDir;
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
    public record Raft(String host, Integer port, List<String> peers, Integer voters, String clusterName,
                       String electionTimeout) {
        public Raft {
            host = host == null ? "127.0.0.1" : host;
            port = port == null ? 9494 : port;
            peers = peers == null ? List.of() : List.copyOf(peers);
            voters = voters == null ? 3 : voters;
            clusterName = clusterName == null ? "glint" : clusterName;
            electionTimeout = electionTimeout == null ? "1s" : electionTimeout;
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
     * @param inFlightChunksMax chunk buffers an upload may hold at once (memory = this x chunk size)
     * @param imageSizeCap      spec §7.2 {@code image_size_cap}
     * @param concurrentMax     uploads one node runs at once
     */
    public record Upload(Integer inFlightChunksMax, DataSize imageSizeCap, Integer concurrentMax) {
        public Upload {
            inFlightChunksMax = inFlightChunksMax == null ? 4 : inFlightChunksMax;
            imageSizeCap = imageSizeCap == null ? new DataSize(1L << 40) : imageSizeCap;
            concurrentMax = concurrentMax == null ? 16 : concurrentMax;
            if (inFlightChunksMax < 1 || inFlightChunksMax > 64) throw new IllegalArgumentException("upload.inFlightChunksMax must be 1..64");
        }
    }
}
