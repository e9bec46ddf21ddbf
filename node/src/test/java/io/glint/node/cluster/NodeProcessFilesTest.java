package io.glint.node.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a node process leaves on the host's disk outside its data directory when it is killed.
 * RocksJava's default is a new 17 MB copy of its native library in {@code java.io.tmpdir} on every
 * start, removed only at a normal exit: each SIGKILL of a node used to leave one behind for good.
 */
class NodeProcessFilesTest {
    @TempDir
    Path dir;

    static List<String> names(Path d) throws IOException {
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aNodeKilledAgainAndAgainLeavesNoCopiesOfItsNativeLibraryInTheTempDirectory() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(dir, 1, 1, "")) {
            for (int round = 0; round < 3; round++) {
                c.start(0);
                c.awaitHealthy(0);
                c.kill9(0);
            }
            List<String> leftInTmp = names(c.tmp(0)).stream().filter(n -> n.contains("rocksdbjni")).toList();
            assertEquals(List.of(), leftInTmp, "RocksDB library copies left in node-1's java.io.tmpdir after 3 kills");
            List<String> kept = names(dir.resolve(ClusterProcesses.id(0)).resolve("native"));
            assertEquals(1, kept.size(), "one copy of the library, in the node's data directory: " + kept);
        }
    }

    /**
     * A data directory that can not take the library (here {@code native} is a file; on a real host,
     * a {@code noexec} mount) does not stop the node: it loads the library the default way, from a
     * temporary file, and says so in its log.
     */
    @Test
    void aNodeWhoseDataDirectoryCanNotTakeTheLibraryStartsWithItsDefaultCopy() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(dir, 1, 1, "")) {
            Path data = dir.resolve(ClusterProcesses.id(0));
            Files.createDirectories(data);
            Files.writeString(data.resolve("native"), "not a directory");
            c.start(0);
            c.awaitHealthy(0);
            assertEquals(1, names(c.tmp(0)).stream().filter(n -> n.contains("rocksdbjni")).count(),
                    "the default copy in java.io.tmpdir: " + names(c.tmp(0)));
            String log = Files.readString(c.log(0));
            assertTrue(log.contains("could not be loaded from " + data.resolve("native")),
                    "the node's log says why");
        }
    }
}
