package io.glint.node;

import io.glint.node.config.NodeConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A session with Debian's real clients ({@code glance} from python3-glanceclient, {@code openstack}
 * from python3-openstackclient over openstacksdk) against a real node: Ratis registry over RocksDB,
 * chunk store, HTTP on 127.0.0.1. The script checks every answer (src/test/clients/session.sh).
 * In CI the clients must be there (.ci/run installs them); elsewhere the test is skipped without them.
 */
class RealClientsTest {

    static boolean onPath(String cmd) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, cmd))) return true;
        }
        return false;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void glanceAndOpenstackClientsWorkAgainstANode(@TempDir Path dir) throws Exception {
        boolean present = onPath("glance") && onPath("openstack");
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI must install python3-glanceclient and python3-openstackclient (see .ci/run)");
        }
        Assumptions.assumeTrue(present, "glance/openstack CLIs not installed");
        int raftPort = freePort();
        NodeConfig config = new NodeConfig(new NodeConfig.Node("n1", dir.resolve("data").toString(), null, null),
                new NodeConfig.Http("127.0.0.1", 0),
                new NodeConfig.Raft("127.0.0.1", raftPort, List.of("n1@127.0.0.1:" + raftPort), 3, "clients-test", "1s", null),
                null, null, null, null, null, null, null, null, null, null);
        try (GlintNode node = new GlintNode(config, dir)) {
            String url = "http://127.0.0.1:" + node.httpPort();
            Path script = Path.of("src/test/clients/session.sh").toAbsolutePath();
            Path log = dir.resolve("session.log");
            Process p = new ProcessBuilder("bash", script.toString(), url, dir.resolve("work").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            boolean finished = p.waitFor(10, TimeUnit.MINUTES);
            if (!finished) p.destroyForcibly();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(finished, "client session did not finish:\n" + text);
            System.out.println(text);
            assertEquals(0, p.exitValue(), "client session failed:\n" + text);
            assertTrue(text.contains(" 0 failed"), text);
        }
    }
}
