package io.glint.node.consistency;

import io.glint.registry.model.ChunkRef;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * The judgement of a consistency audit (DESIGN §6), kept apart from the I/O that gathers its
 * inputs so that it can be checked case by case: given what the registry references, where
 * placement wants each group, and what every node holds (and which of its copies failed
 * verification), it says per node and group what is missing, corrupt, extra or misplaced, and per
 * chunk whether enough intact copies exist.
 *
 * <p>Definitions: a chunk is <em>expected</em> on the replicas of its group; a copy is
 * <em>intact</em> unless the node's scan found it corrupt or truncated; <em>missing</em> = expected
 * but no intact copy on that node; <em>extra</em> = held but referenced by no image;
 * <em>misplaced</em> = referenced, held intact, but not on one of its replicas (a hand-off or cache);
 * <em>under-replicated</em> = fewer intact copies on its replicas than it should have;
 * <em>unrecoverable</em> = no intact copy anywhere.
 */
public final class AuditAnalysis {
    /** Ids listed per category and group at most (the counts are always complete). */
    public static final int IDS_LISTED_MAX = 100;
    /** Groups with problems listed per node at most. */
    public static final int GROUPS_LISTED_MAX = 1_000;

    /** What one node reported; {@code held} is null when the node could not be reached. */
    public record NodeHoldings(String nodeId, Map<Integer, Set<String>> held, Set<String> bad, String error) {
        public boolean reachable() {
            return held != null;
        }
    }

    /** Findings in one group of one node. */
    public record GroupFindings(int pg, int expected, int present, List<String> missing, int missingCount,
                                List<String> corrupt, int corruptCount, List<String> extra, int extraCount) {}

    public record NodeFindings(String nodeId, boolean reachable, String error, long expected, long present, long missing,
                               long corrupt, long extra, long misplaced, List<GroupFindings> groups, int groupsWithProblems) {}

    public record Result(List<NodeFindings> nodes, long referenced, Set<String> underReplicated, Set<String> unrecoverable,
                         Map<String, List<String>> repairs) {
        /** Chunks that need attention, for finding the images they belong to. */
        public Set<String> problemChunks() {
            Set<String> s = new TreeSet<>(underReplicated);
            s.addAll(unrecoverable);
            return s;
        }
    }

    private AuditAnalysis() {}

    /**
     * @param refs       per group, the registry's references (count > 0)
     * @param replicas   the replica set placement gives each group
     * @param wantCopies intact copies a chunk should have on its replicas (min(R, nodes up)), capped
     *                   per group by the size of its replica set
     * @param nodes      every node that should have been asked
     */
    public static Result analyze(int pgCount, Map<Integer, List<ChunkRef>> refs, IntFunction<List<String>> replicas,
                                 int wantCopies, List<NodeHoldings> nodes) {
        Map<String, NodeHoldings> byId = new LinkedHashMap<>();
        for (NodeHoldings n : nodes) byId.put(n.nodeId(), n);
        Map<String, Integer> intactOnReplicas = new HashMap<>();
        Map<String, Integer> intactAnywhere = new HashMap<>();
        Map<String, List<String>> repairs = new TreeMap<>();
        long referenced = 0;
        Map<String, Acc> acc = new LinkedHashMap<>();
        for (NodeHoldings n : nodes) acc.put(n.nodeId(), new Acc());

        for (int pg = 0; pg < pgCount; pg++) {
            List<ChunkRef> groupRefs = refs.getOrDefault(pg, List.of());
            Set<String> ref = new HashSet<>();
            for (ChunkRef r : groupRefs) if (r.refCount() > 0) ref.add(r.chunkId());
            referenced += ref.size();
            List<String> want = replicas.apply(pg);
            for (NodeHoldings n : nodes) {
                if (!n.reachable()) continue;
                Set<String> held = n.held().getOrDefault(pg, Set.of());
                boolean replica = want.contains(n.nodeId());
                Acc a = acc.get(n.nodeId());
                List<String> missing = new ArrayList<>();
                List<String> corrupt = new ArrayList<>();
                List<String> extra = new ArrayList<>();
                int present = 0;
                for (String id : held) {
                    boolean intact = !n.bad().contains(id);
                    if (!intact) corrupt.add(id);
                    if (!ref.contains(id)) {
                        extra.add(id);
                        continue;
                    }
                    if (intact) {
                        intactAnywhere.merge(id, 1, Integer::sum);
                        if (replica) {
                            intactOnReplicas.merge(id, 1, Integer::sum);
                            present++;
                        } else {
                            a.misplaced++;
                        }
                    }
                }
                if (replica) {
                    for (String id : ref) {
                        if (!held.contains(id) || n.bad().contains(id)) missing.add(id);
                    }
                    a.expected += ref.size();
                    a.present += present;
                }
                a.missing += missing.size();
                a.corrupt += corrupt.size();
                a.extra += extra.size();
                if (!missing.isEmpty() || !corrupt.isEmpty() || !extra.isEmpty()) {
                    a.groupsWithProblems++;
                    if (a.groups.size() < GROUPS_LISTED_MAX) {
                        a.groups.add(new GroupFindings(pg, replica ? ref.size() : 0, present, first(missing), missing.size(),
                                first(corrupt), corrupt.size(), first(extra), extra.size()));
                    }
                    for (String id : missing) repairs.computeIfAbsent(n.nodeId(), k -> new ArrayList<>()).add(id);
                }
            }
        }
        Set<String> under = new TreeSet<>();
        Set<String> lost = new TreeSet<>();
        for (int pg = 0; pg < pgCount; pg++) {
            int want = Math.min(wantCopies, replicas.apply(pg).size());
            for (ChunkRef r : refs.getOrDefault(pg, List.of())) {
                if (r.refCount() <= 0) continue;
                if (intactAnywhere.getOrDefault(r.chunkId(), 0) == 0) lost.add(r.chunkId());
                else if (intactOnReplicas.getOrDefault(r.chunkId(), 0) < want) under.add(r.chunkId());
            }
        }
        // A chunk with no intact copy anywhere cannot be repaired from anything: no repair is scheduled for it.
        for (List<String> ids : repairs.values()) ids.removeIf(lost::contains);
        repairs.values().removeIf(List::isEmpty);

        List<NodeFindings> out = new ArrayList<>();
        for (NodeHoldings n : nodes) {
            Acc a = acc.get(n.nodeId());
            out.add(new NodeFindings(n.nodeId(), n.reachable(), n.error(), a.expected, a.present, a.missing, a.corrupt, a.extra,
                    a.misplaced, List.copyOf(a.groups), a.groupsWithProblems));
        }
        return new Result(out, referenced, under, lost, repairs);
    }

    private static List<String> first(List<String> ids) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(ids));
        return sorted.size() <= IDS_LISTED_MAX ? sorted : sorted.subList(0, IDS_LISTED_MAX);
    }

    private static final class Acc {
        long expected;
        long present;
        long missing;
        long corrupt;
        long extra;
        long misplaced;
        int groupsWithProblems;
        final List<GroupFindings> groups = new ArrayList<>();
    }
}
