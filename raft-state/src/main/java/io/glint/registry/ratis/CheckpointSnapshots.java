package io.glint.registry.ratis;

import io.glint.registry.rocks.StoreDirs;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The registry's snapshots as Ratis sees them: RocksDB checkpoints, one directory each, under
 * {@code <sm>/snapshots/snap_<term>_<index>_<storeIndex>}.
 *
 * <p>Why this layout. Ratis's built-in install-snapshot (leader streams the files) writes the
 * received files into a temporary directory and then <em>renames that directory over</em> the
 * snapshot directory. With the default snapshot directory (the whole state-machine dir) that
 * would move the live RocksDB away. So {@link #getSnapshotDir()} points Ratis at a subdirectory
 * holding only checkpoints; the live database sits beside it in {@code <sm>/db}.
 *
 * <p>{@code term_index} is the Raft log position the snapshot stands for (what Ratis purges up to
 * and resumes after); {@code storeIndex} is the applied index recorded inside the checkpoint, the
 * last log entry whose writes it holds. They differ when the last entries were Ratis-internal
 * (configuration, metadata) or when a restarted member snapshots while it is still skipping
 * entries its store already has. A member whose store is behind its newest snapshot's
 * {@code storeIndex} (a crash between receiving a snapshot and swapping it in) installs it.
 */
final class CheckpointSnapshots implements StateMachineStorage {
    static final String SNAPSHOTS_DIR = "snapshots";
    static final String DB_DIR = "db";
    static final String MD5_SUFFIX = ".md5";
    private static final Pattern NAME = Pattern.compile("snap_(\\d+)_(\\d+)_(\\d+)");

    /** A parsed snapshot directory. */
    record Snapshot(Path dir, TermIndex termIndex, long storeIndex) {}

    private final int retainedMin;
    private volatile Path smDir;
    private volatile Snapshot latest;
    private volatile SnapshotInfo latestInfo;

    CheckpointSnapshots(int retainedMin) {
        if (retainedMin < 1) throw new IllegalArgumentException("retain at least one snapshot");
        this.retainedMin = retainedMin;
    }

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        this.smDir = raftStorage.getStorageDir().getStateMachineDir().toPath().toAbsolutePath();
        Files.createDirectories(snapshotsDir());
        refresh();
    }

    Path smDir() {
        return smDir;
    }

    Path snapshotsDir() {
        return smDir.resolve(SNAPSHOTS_DIR);
    }

    Path dbDir() {
        return smDir.resolve(DB_DIR);
    }

    static String name(TermIndex ti, long storeIndex) {
        return "snap_" + ti.getTerm() + "_" + ti.getIndex() + "_" + storeIndex;
    }

    /** Rescans the directory; call after anything adds or removes a snapshot. */
    void refresh() throws IOException {
        List<Snapshot> all = list();
        Snapshot newest = all.isEmpty() ? null : all.get(all.size() - 1);
        latest = newest;
        latestInfo = newest == null ? null : toInfo(newest);
    }

    Snapshot latest() {
        return latest;
    }

    /** Every complete snapshot directory, oldest first (by Raft index). */
    List<Snapshot> list() throws IOException {
        Path dir = snapshotsDir();
        List<Snapshot> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(p)) continue;
                TermIndex ti = TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
                out.add(new Snapshot(p, ti, Long.parseLong(m.group(3))));
            }
        }
        out.sort(Comparator.comparing(Snapshot::termIndex));
        return out;
    }

    private static SnapshotInfo toInfo(Snapshot s) throws IOException {
        List<FileInfo> files = new ArrayList<>();
        for (Path f : dataFiles(s.dir())) files.add(new FileInfo(f, null));
        if (files.isEmpty()) throw new IOException("snapshot " + s.dir() + " holds no files");
        return new FileListSnapshotInfo(files, s.termIndex());
    }

    /** The checkpoint's own files (absolute paths), without the .md5 files an install leaves. */
    static List<Path> dataFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().endsWith(MD5_SUFFIX))
                    .map(Path::toAbsolutePath)
                    .sorted()
                    .toList();
        }
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return latestInfo;
    }

    @Override
    public void format() {
        // Nothing to format: directories are created on init.
    }

    /** Keeps the newest {@code max(retainedMin, policy)} snapshots, deletes the older ones. */
    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        int keep = Math.max(retainedMin, policy == null ? 0 : policy.getNumSnapshotsRetained());
        List<Snapshot> all = list();
        for (int i = 0; i < all.size() - keep; i++) StoreDirs.deleteTree(all.get(i).dir());
        refresh();
    }

    /** Ratis installs received snapshots into this directory, and streams from it. */
    @Override
    public File getSnapshotDir() {
        return smDir == null ? null : snapshotsDir().toFile();
    }


    /**
     * Stages the data files of {@code from} in a new {@code to}: table files are hard-linked (they
     * are immutable, and a checkpoint may be large), every other file (CURRENT, MANIFEST, OPTIONS,
     * WAL) is copied, so that nothing the opened database writes can change the snapshot.
     */
    static void linkTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path f : dataFiles(from)) {
            Path target = to.resolve(from.toAbsolutePath().relativize(f).toString());
            Files.createDirectories(target.getParent());
            String name = f.getFileName().toString();
            boolean immutable = name.endsWith(".sst") || name.endsWith(".blob");
            if (immutable) {
                try {
                    Files.createLink(target, f);
                    continue;
                } catch (UnsupportedOperationException | IOException crossDevice) {
                    // fall through to a copy
                }
            }
            try {
                Files.copy(f, target);
            } catch (IOException e) {
                throw new UncheckedIOException("staging " + f, e);
            }
        }
    }
}
