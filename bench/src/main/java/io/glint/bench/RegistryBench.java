package io.glint.bench;

import io.glint.registry.command.Command;
import io.glint.registry.model.Identity;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListParams;
import io.glint.registry.query.Query;
import io.glint.registry.ratis.GroupCommitter;
import io.glint.registry.ratis.Registry;
import io.glint.registry.ratis.RegistryPeer;
import io.glint.registry.ratis.RegistryServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The registry benchmark of issue 2: a 3-voter Ratis group in this JVM (log fsync on, real RocksDB),
 * committed creates per second with 1 and 64 concurrent proposers with p50/p99 commit latency, and
 * list latency p50/p99 for 25- and 1000-item pages at 100,000 images. Every load loop is bounded by
 * count and by time. Run: {@code bench/run-registry-bench.sh}.
 */
public final class RegistryBench {
    static final int SEQUENTIAL_CREATES_MAX = 2_000;
    static final int CONCURRENT_CREATES_MAX = 40_000;
    static final Duration PHASE_TIME_MAX = Duration.ofSeconds(60);
    static final int IMAGES_TARGET = 100_000;
    static final int PROJECTS = 10;
    static final int TAGS = 20;

    private final Random random = new Random(42);

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : IMAGES_TARGET;
        new RegistryBench().run(images);
        System.exit(0);
    }

    void run(int imagesTarget) throws Exception {
        Path root = Files.createTempDirectory("glint-registry-bench");
        List<RegistryPeer> peers = new ArrayList<>();
        for (int i = 1; i <= 3; i++) peers.add(RegistryPeer.voter("b" + i, "127.0.0.1:" + freePort()));
        List<RegistryServer> servers = new ArrayList<>();
        for (RegistryPeer p : peers) {
            servers.add(RegistryServer.start(RegistryServer.Config.builder(p.id(), peers, root.resolve(p.id()))
                    .clusterName("bench").bindHost("127.0.0.1")
                    .raftPort(Integer.parseInt(p.address().substring(p.address().lastIndexOf(':') + 1)))
                    .electionTimeout(Duration.ofMillis(1000), Duration.ofMillis(2000))
                    .snapshotThresholdEntries(100_000)
                    .build()));
        }
        RegistryServer leader = awaitLeader(servers);
        System.out.printf("3-voter group up, leader %s, data in %s%n", leader.nodeId(), root);
        GroupCommitter.Settings gc = GroupCommitter.Settings.DEFAULT
                .withMaxInFlightBatches(Integer.getInteger("glint.bench.inFlightBatches",
                        GroupCommitter.Settings.DEFAULT.maxInFlightBatches()));
        System.out.printf("group commit settings: %s%n", gc);
        try (Registry registry = Registry.builder(leader).groupCommit(gc).build()) {
            warmUp(registry);
            Figures seq = creates(registry, 1, SEQUENTIAL_CREATES_MAX);
            Figures par = creates(registry, 64, CONCURRENT_CREATES_MAX);
            System.out.println();
            System.out.println("== committed creates (3 voters, log fsync on, group commit)");
            seq.print("1 proposer", 0);
            par.print("64 proposers", 3000);
            System.out.printf("   group commit: %s%n", registry.groupCommitStats());

            long have = seq.count + par.count + 100;
            System.out.printf("%n== filling the registry to %,d images (have %,d) ...%n", imagesTarget, have);
            Figures fill = creates(registry, 64, (int) Math.max(0, imagesTarget - have), Duration.ofMinutes(5));
            System.out.printf("   filled %,d more at %.0f creates/s%n", fill.count, fill.perSecond());

            System.out.printf("%n== list latency at %,d images (linearizable read through Ratis, then the query)%n",
                    seq.count + par.count + fill.count + 100);
            for (int limit : new int[]{25, 1000}) {
                int rounds = limit == 25 ? 400 : 60;
                double target = limit == 25 ? 5.0 : 50.0;
                list(registry, "default sort", Map.of(), limit, rounds, target);
                list(registry, "owner filter", Map.of("owner", List.of("p3")), limit, rounds, target);
                list(registry, "tag filter", Map.of("tag", List.of("t7")), limit, rounds, target);
                list(registry, "name sort", Map.of("sort", List.of("name:asc")), limit, rounds, target);
            }
        } finally {
            for (RegistryServer s : servers) s.close();
            deleteTree(root);
        }
    }

    private static RegistryServer awaitLeader(List<RegistryServer> servers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (RegistryServer s : servers) if (s.isLeaderReady()) return s;
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader within 60 s");
    }

    private void warmUp(Registry registry) throws Exception {
        List<CompletableFuture<Result>> fs = new ArrayList<>();
        for (int i = 0; i < 100; i++) fs.add(registry.propose(create()));
        for (CompletableFuture<Result> f : fs) check(f.get(60, TimeUnit.SECONDS));
    }

    private synchronized Command create() {
        int project = random.nextInt(PROJECTS);
        List<String> tags = List.of("t" + random.nextInt(TAGS), "t" + random.nextInt(TAGS));
        Visibility v = Visibility.values()[random.nextInt(Visibility.values().length)];
        return new Command.CreateImage(Identity.NOAUTH_ADMIN, System.currentTimeMillis(), UUID.randomUUID().toString(),
                "image-" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36), v, false, random.nextInt(20) == 0,
                "p" + project, 0, 0, "bare", "qcow2", tags, Map.of("os_distro", "distro" + random.nextInt(5)));
    }

    private static void check(Result r) {
        if (!r.isOk()) throw new IllegalStateException("create failed: " + r);
    }

    /** Creates with {@code concurrency} proposals in flight until {@code max} or the time bound. */
    private Figures creates(Registry registry, int concurrency, int max) throws Exception {
        return creates(registry, concurrency, max, PHASE_TIME_MAX);
    }

    private Figures creates(Registry registry, int concurrency, int max, Duration bound) throws Exception {
        Semaphore window = new Semaphore(concurrency);
        ConcurrentLinkedQueue<Long> latenciesNanos = new ConcurrentLinkedQueue<>();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        int sent = 0;
        while (sent < max && System.nanoTime() < deadline) {
            if (!window.tryAcquire(1, TimeUnit.SECONDS)) continue;
            long t0 = System.nanoTime();
            registry.propose(create()).whenComplete((r, e) -> {
                if (e != null || !r.isOk()) failures.incrementAndGet();
                else latenciesNanos.add(System.nanoTime() - t0);
                window.release();
            });
            sent++;
        }
        if (!window.tryAcquire(concurrency, 120, TimeUnit.SECONDS)) throw new IllegalStateException("creates did not drain");
        long elapsed = System.nanoTime() - start;
        if (failures.get() > 0) throw new IllegalStateException(failures.get() + " creates failed");
        return new Figures(latenciesNanos.size(), elapsed, sorted(latenciesNanos));
    }

    private static long[] sorted(java.util.Collection<Long> xs) {
        long[] a = xs.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    record Figures(long count, long elapsedNanos, long[] sortedLatencyNanos) {
        double perSecond() {
            return count / (elapsedNanos / 1e9);
        }

        void print(String label, double targetPerSecond) {
            String verdict = targetPerSecond <= 0 ? "" : perSecond() >= targetPerSecond
                    ? String.format("  (target >= %,.0f/s: MET)", targetPerSecond)
                    : String.format("  (target >= %,.0f/s: MISSED)", targetPerSecond);
            System.out.printf("   %-13s %,8d creates in %5.1f s = %,7.0f creates/s   commit latency p50 %6.2f ms  p99 %6.2f ms%s%n",
                    label, count, elapsedNanos / 1e9, perSecond(), pct(sortedLatencyNanos, 50), pct(sortedLatencyNanos, 99),
                    verdict);
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private void list(Registry registry, String label, Map<String, List<String>> filters, int limit, int rounds,
                      double p99TargetMillis) throws Exception {
        Map<String, List<String>> params = new java.util.HashMap<>(filters);
        params.put("limit", List.of(Integer.toString(limit)));
        ListParams.Parsed parsed = ListParams.parse(Identity.NOAUTH_ADMIN, params);
        if (parsed.error() != null) throw new IllegalStateException(parsed.error());
        Query q = new Query.ListImages(parsed.request());
        for (int i = 0; i < 20; i++) registry.read(q).get(30, TimeUnit.SECONDS);
        long[] lat = new long[rounds];
        int rows = 0;
        long deadline = System.nanoTime() + PHASE_TIME_MAX.toNanos();
        int done = 0;
        for (; done < rounds && System.nanoTime() < deadline; done++) {
            long t0 = System.nanoTime();
            Result r = registry.read(q).get(30, TimeUnit.SECONDS);
            lat[done] = System.nanoTime() - t0;
            rows = r.value(ImagePage.class).images().size();
        }
        long[] got = Arrays.copyOf(lat, done);
        Arrays.sort(got);
        double p99 = pct(got, 99);
        System.out.printf("   %4d-item page, %-13s rows %4d  p50 %6.2f ms  p99 %6.2f ms  (target p99 <= %.0f ms: %s)%n",
                limit, label, rows, pct(got, 50), p99, p99TargetMillis, p99 <= p99TargetMillis ? "MET" : "MISSED");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
