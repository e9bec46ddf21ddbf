package io.glint.node.audit;

import java.util.List;

/**
 * What one node found when it checked its chunks against the registry ({@link Auditor#scan}), per
 * placement group. The operator's consistency audit collects one report per node and compares
 * them with the registry and with each other.
 *
 * <p>Kinds of finding, for the chunks of a group:
 * <ul>
 *   <li><b>corrupt</b>: the file's SHA-256 is not its id (deep scans only);</li>
 *   <li><b>truncated</b>: the file's length differs from the length the registry records;</li>
 *   <li><b>missing</b>: the registry references the chunk, placement puts the group on this node,
 *       and there is no file (this includes a chunk that was never written here, for example a
 *       write acknowledged by two of three replicas that the replicator has not filled in yet);</li>
 *   <li><b>extra</b>: the file is here (and not corrupt or truncated) but the registry references
 *       nothing of that id: an orphan for the reaper once its grace is over, or a chunk of an
 *       upload in flight.</li>
 * </ul>
 * Counts are exact; the id lists are bounded: each kind lists at most {@link #IDS_PER_KIND_MAX}
 * ids over the whole report (the first found, in group and id order).
 *
 * @param nodeId            the node that scanned
 * @param deep              true: every chunk was re-hashed; false: existence and length only
 * @param quarantined       true: corrupt and truncated chunks were quarantined (and the replicator asked to restore them)
 * @param startedAtMillis   wall-clock start (epoch ms)
 * @param finishedAtMillis  wall-clock end (epoch ms)
 * @param complete          false when some groups were not scanned (see {@code skippedGroups}) or the scan was stopped
 * @param skippedGroups     groups whose registry references could not be read, or not reached before a stop
 * @param groups            every group this node holds chunks in or is a replica of, in group order
 */
public record ScanReport(String nodeId, boolean deep, boolean quarantined, long startedAtMillis, long finishedAtMillis,
                         boolean complete, List<Integer> skippedGroups, List<Group> groups) {
    /** Ids listed per kind (corrupt, truncated, missing, extra) over a whole report. */
    public static final int IDS_PER_KIND_MAX = 1_000;

    public ScanReport {
        skippedGroups = List.copyOf(skippedGroups);
        groups = List.copyOf(groups);
    }

    /**
     * One placement group on one node.
     *
     * @param placementGroup the group
     * @param placedHere     placement puts the group on this node (else its chunks here await hand-off or reaping)
     * @param chunks         chunk files present here, whatever their state
     * @param bytes          their total size
     * @param intactXor      XOR of the first 8 bytes of the ids present and not found bad (as the
     *                       replicator's digests: {@code LocalChunkIndex.Digest}), to compare with
     *                       the registry's and other replicas'
     * @param intactCount    how many ids that XOR covers
     * @param corruptCount   counts of each finding; the lists below hold the ids within the report's bound
     */
    public record Group(int placementGroup, boolean placedHere, long chunks, long bytes, long intactXor, long intactCount,
                        long corruptCount, long truncatedCount, long missingCount, long extraCount,
                        List<String> corrupt, List<String> truncated, List<String> missing, List<String> extra) {
        public Group {
            corrupt = List.copyOf(corrupt);
            truncated = List.copyOf(truncated);
            missing = List.copyOf(missing);
            extra = List.copyOf(extra);
        }

        /** True when nothing is wrong with the group here. */
        public boolean clean() {
            return corruptCount == 0 && truncatedCount == 0 && missingCount == 0 && extraCount == 0;
        }
    }

    public long chunks() {
        return groups.stream().mapToLong(Group::chunks).sum();
    }

    public long bytes() {
        return groups.stream().mapToLong(Group::bytes).sum();
    }

    public long corruptCount() {
        return groups.stream().mapToLong(Group::corruptCount).sum();
    }

    public long truncatedCount() {
        return groups.stream().mapToLong(Group::truncatedCount).sum();
    }

    public long missingCount() {
        return groups.stream().mapToLong(Group::missingCount).sum();
    }

    public long extraCount() {
        return groups.stream().mapToLong(Group::extraCount).sum();
    }

    /** The group's entry, or null when this node neither holds chunks of it nor is its replica. */
    public Group group(int pg) {
        for (Group g : groups) if (g.placementGroup() == pg) return g;
        return null;
    }
}
