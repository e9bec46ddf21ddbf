package io.glint.node;

import io.glint.node.config.ConfigLoader;
import io.glint.node.config.NodeConfig;
import io.glint.registry.ratis.RegistryServer;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code glint node --config FILE}: runs one node until SIGTERM/SIGINT. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) configFile = Path.of(args[++i]);
            else usage("unknown argument: " + args[i]);
        }
        if (configFile == null) usage("--config FILE is required");
        NodeConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigLoader.ConfigException | IllegalArgumentException e) {
            System.err.println("glint: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path base = Path.of(System.getProperty("glint.home", ".")).toAbsolutePath();
        GlintNode node;
        try {
            node = new GlintNode(config, base);
        } catch (RegistryServer.ForeignStorageException e) {
            System.err.println("glint: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println("glint node " + config.node().id() + " serving http://" + config.http().host() + ":"
                + node.httpPort());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    private static void usage(String problem) {
        System.err.println("glint: " + problem + "\nusage: glint node --config FILE");
        System.exit(2);
    }
}
