package io.glint.node.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @Test
    void theShippedSingleNodeConfigLoads() {
        NodeConfig c = ConfigLoader.load(Path.of("../cluster-configs/single-node.yaml"));
        assertEquals("node-1", c.node().id());
        assertEquals(9292, c.http().port());
        assertEquals(9494, c.raft().port());
        assertEquals(List.of("node-1@127.0.0.1:9494"), c.raft().peers());
        assertEquals(4L << 20, c.chunk().size().bytes());
        assertEquals(1L << 40, c.upload().imageSizeCap().bytes());
        assertFalse(c.api().delayedDelete());
        assertTrue(c.api().webDownloadAllowedHosts().isEmpty(), "web-download is denied by default");
    }

    /**
     * {@code bin/glint local up --nodes 1|3|5} start differently named clusters; a data directory
     * made by one must never be started by another (the node refuses another cluster's registry),
     * so every shipped local config has a data directory of its own.
     */
    @Test
    void theShippedLocalClustersKeepTheirDataApart() throws Exception {
        List<Path> configs = new java.util.ArrayList<>(List.of(Path.of("../cluster-configs/single-node.yaml")));
        for (String dir : List.of("local-3-node", "local-5-node")) {
            try (var files = Files.list(Path.of("../cluster-configs", dir))) {
                files.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(configs::add);
            }
        }
        assertEquals(9, configs.size(), configs.toString());
        java.util.Map<String, String> clusterOfDataDir = new java.util.HashMap<>();
        for (Path f : configs) {
            NodeConfig c = ConfigLoader.load(f);
            String previous = clusterOfDataDir.put(c.node().dataDir(), c.raft().clusterName() + "/" + c.node().id());
            assertEquals(null, previous, f + " shares its data directory " + c.node().dataDir() + " with " + previous);
        }
    }

    @Test
    void anEmptyFileGivesEveryDefault(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("empty.yaml"), "");
        NodeConfig c = ConfigLoader.load(f);
        assertEquals("node-1", c.node().id());
        assertEquals("127.0.0.1", c.http().host());
        assertEquals("noauth", c.auth().mode());
        assertEquals(List.of("glance-direct", "web-download", "copy-image"), c.api().importMethods());
        assertEquals(4, c.upload().inFlightChunksMax());
    }

    @Test
    void anUnknownKeyIsAnErrorThatNamesItAndTheKnownOnes(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), "http:\n  prot: 1234\n");
        ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(f));
        assertTrue(e.getMessage().contains("unknown key 'http.prot'"), e.getMessage());
        assertTrue(e.getMessage().contains("port"), e.getMessage());
    }

    @Test
    void anUnknownTopLevelSectionIsAnError(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("bad.yaml"), "replicaton:\n  factor: 3\n");
        ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(f));
        assertTrue(e.getMessage().contains("'replicaton'"), e.getMessage());
        assertTrue(e.getMessage().contains("replication"), e.getMessage());
    }

    /** Every config shipped in cluster-configs/ loads; a founder lists peers, a later node joins. */
    @Test
    void everyShippedConfigLoads() throws Exception {
        Path root = Path.of("..", "cluster-configs");
        List<Path> files;
        try (var s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 1 + 3 + 5 + 6, "configs found: " + files);
        for (Path f : files) {
            NodeConfig c = ConfigLoader.load(f);
            assertTrue(c.raft().join() != null || !c.raft().peers().isEmpty(), f + " neither lists peers nor joins");
        }
        NodeConfig joiner = ConfigLoader.load(root.resolve("multi-machine-example/glint-4.yaml"));
        assertEquals("10.0.0.11:9292", joiner.raft().join());
        assertEquals("zone-1", joiner.node().zone());
    }

    @Test
    void clusterSectionsHaveDefaultsAndChecks(@TempDir Path dir) throws Exception {
        NodeConfig defaults = ConfigLoader.load(Files.writeString(dir.resolve("empty.yaml"), ""));
        assertEquals(3, defaults.replication().factor());
        assertEquals(2, defaults.replication().acksFor(3));
        assertEquals(1, defaults.replication().acksFor(1), "acks are capped by the replicas there are");
        assertEquals("default", defaults.node().zone());
        NodeConfig all = ConfigLoader.load(Files.writeString(dir.resolve("all.yaml"),
                "node:\n  zone: rack-2\npeer:\n  port: 9600\n  secret: s3cret-s3cret\nreplication:\n  writeAcks: all\n"));
        assertEquals(3, all.replication().acksFor(3));
        assertEquals("rack-2", all.node().zone());
        assertEquals(9600, all.peer().port());
        for (String bad : new String[]{"replication:\n  writeAcks: 4\n", "replication:\n  writeAcks: most\n",
                "replication:\n  downAfterSeconds: 1\n", "peer:\n  secret: short\n", "node:\n  id: ../etc\n"}) {
            Path f = Files.writeString(dir.resolve("bad.yaml"), bad);
            ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(f), bad);
            String key = bad.substring(0, bad.indexOf(':'));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void backgroundServiceKeysHaveDefaultsAndTheGraceMustExceedTheLongestUpload(@TempDir Path dir) throws Exception {
        NodeConfig d = ConfigLoader.load(Files.writeString(dir.resolve("empty.yaml"), ""));
        assertEquals(60, d.upload().leaseSeconds());
        assertEquals(21_600, d.upload().maxDurationSeconds());
        assertEquals(0, d.delete().delaySeconds());
        assertEquals(25_200, d.reaper().graceSeconds());
        assertEquals(60, d.reaper().intervalSeconds());
        assertEquals(100, d.reaper().deletesPerSecond());
        assertEquals(7 * 86_400, d.reaper().quarantineRetentionSeconds());
        assertTrue(d.audit().enabled());
        assertEquals(20L << 20, d.audit().bytesPerSecond().bytes());
        assertEquals(200, d.audit().filesPerSecond());
        assertEquals(3_600, d.audit().lightIntervalSeconds());
        assertEquals(7 * 86_400, d.audit().deepIntervalSeconds());
        assertEquals(200L << 20, d.audit().scanBytesPerSecond().bytes());

        NodeConfig small = ConfigLoader.load(Files.writeString(dir.resolve("small.yaml"),
                "upload:\n  maxDurationSeconds: 5\n  leaseSeconds: 3\nreaper:\n  graceSeconds: 6\ndelete:\n  delaySeconds: 3\n"
                        + "audit:\n  enabled: false\n  lightIntervalSeconds: 2\n"));
        assertEquals(6, small.reaper().graceSeconds());
        assertEquals(3, small.delete().delaySeconds());
        assertFalse(small.audit().enabled());

        Path tooShort = Files.writeString(dir.resolve("grace.yaml"), "upload:\n  maxDurationSeconds: 100\nreaper:\n  graceSeconds: 100\n");
        ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(tooShort));
        assertTrue(e.getMessage().contains("reaper.graceSeconds") && e.getMessage().contains("upload.maxDurationSeconds"), e.getMessage());
        Path defaultGrace = Files.writeString(dir.resolve("long.yaml"), "upload:\n  maxDurationSeconds: 86400\n");
        assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(defaultGrace),
                "a longer upload limit needs a longer grace too");
        for (String bad : new String[]{"upload:\n  leaseSeconds: 2\n", "reaper:\n  deletesPerSecond: 0\n",
                "audit:\n  bytesPerSecond: 1KiB\n", "delete:\n  delaySeconds: -1\n", "audit:\n  lightIntervals: 5\n"}) {
            Path f = Files.writeString(dir.resolve("bad.yaml"), bad);
            ConfigLoader.ConfigException ex = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(f), bad);
            assertTrue(ex.getMessage().contains(bad.substring(0, bad.indexOf(':'))), ex.getMessage());
        }
    }

    @Test
    void badValuesAreErrorsThatNameTheKey(@TempDir Path dir) throws Exception {
        Path size = Files.writeString(dir.resolve("size.yaml"), "chunk:\n  size: 4 apples\n");
        ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(size));
        assertTrue(e.getMessage().contains("chunk.size"), e.getMessage());
        Path tooSmall = Files.writeString(dir.resolve("small.yaml"), "chunk:\n  size: 1KiB\n");
        e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(tooSmall));
        assertTrue(e.getMessage().contains("chunk.size"), e.getMessage());
        Path auth = Files.writeString(dir.resolve("auth.yaml"), "auth:\n  mode: keystone\n");
        e = assertThrows(ConfigLoader.ConfigException.class, () -> ConfigLoader.load(auth));
        assertTrue(e.getMessage().contains("noauth"), e.getMessage());
    }

    @Test
    void aMissingFileIsAClearError(@TempDir Path dir) {
        ConfigLoader.ConfigException e = assertThrows(ConfigLoader.ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("no such config file"), e.getMessage());
    }

    @Test
    void sizesTakeBinaryAndDecimalUnits() {
        assertEquals(4L << 20, DataSize.parse("4MiB").bytes());
        assertEquals(4L << 20, DataSize.parse("4M").bytes());
        assertEquals(4_000_000L, DataSize.parse("4MB").bytes());
        assertEquals(1L << 40, DataSize.parse("1TiB").bytes());
        assertEquals(512, DataSize.parse(512).bytes());
        assertEquals(512, DataSize.parse("512").bytes());
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("-1"));
        assertThrows(ArithmeticException.class, () -> DataSize.parse("99999999999TiB"));
    }

    @Test
    void durationsTakeShortUnitsAndIso() {
        assertEquals(500, Durations.parse("500ms").toMillis());
        assertEquals(30_000, Durations.parse("30s").toMillis());
        assertEquals(300_000, Durations.parse("5m").toMillis());
        assertEquals(30_000, Durations.parse("PT30S").toMillis());
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("soon"));
    }
}
