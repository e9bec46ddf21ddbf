package io.glint.node.consistency;

import io.glint.registry.model.ChunkRef;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the audit classifies what the nodes hold: two groups, three nodes; group 0 lives on a, b, c
 * and group 1 on a and b only (as if c were not one of its replicas).
 */
class AuditAnalysisTest {
    static final String X = "a".repeat(64);
    static final String Y = "b".repeat(64);
    static final String Z = "c".repeat(64);
    static final String ORPHAN = "d".repeat(64);

    final Map<Integer, List<ChunkRef>> refs = Map.of(
            0, List.of(new ChunkRef(0, X, 1, 10, 0), new ChunkRef(0, Y, 2, 10, 0)),
            1, List.of(new ChunkRef(1, Z, 1, 10, 0)));

    static List<String> replicas(int pg) {
        return pg == 0 ? List.of("a", "b", "c") : List.of("a", "b");
    }

    static AuditAnalysis.NodeHoldings node(String id, Set<String> bad, String... chunks) {
        Map<Integer, Set<String>> held = new HashMap<>();
        for (String c : chunks) held.computeIfAbsent(c.equals(Z) ? 1 : 0, k -> new HashSet<>()).add(c);
        return new AuditAnalysis.NodeHoldings(id, held, bad, null);
    }

    AuditAnalysis.Result analyze(AuditAnalysis.NodeHoldings... nodes) {
        return AuditAnalysis.analyze(2, refs, AuditAnalysisTest::replicas, 3, new ArrayList<>(List.of(nodes)));
    }

    static AuditAnalysis.NodeFindings of(AuditAnalysis.Result r, String id) {
        return r.nodes().stream().filter(n -> n.nodeId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void everyCopyWhereItBelongsIsHealthy() {
        AuditAnalysis.Result r = AuditAnalysis.analyze(2, refs, AuditAnalysisTest::replicas, 3,
                List.of(node("a", Set.of(), X, Y, Z), node("b", Set.of(), X, Y, Z), node("c", Set.of(), X, Y)));
        assertEquals(3, r.referenced());
        assertTrue(r.underReplicated().isEmpty());
        assertTrue(r.unrecoverable().isEmpty());
        assertTrue(r.repairs().isEmpty());
        for (String n : List.of("a", "b", "c")) {
            AuditAnalysis.NodeFindings f = of(r, n);
            assertEquals(f.expected(), f.present(), n);
            assertEquals(0, f.missing() + f.corrupt() + f.extra() + f.misplaced(), n);
        }
        assertEquals(3, of(r, "a").expected());
        assertEquals(2, of(r, "c").expected());
    }

    @Test
    void aFlippedATruncatedAndADeletedCopyAreEachFoundAndScheduledForRepair() {
        // a's X is corrupt, b's Y is truncated, c has lost Y.
        AuditAnalysis.Result r = analyze(node("a", Set.of(X), X, Y, Z), node("b", Set.of(Y), X, Y, Z), node("c", Set.of(), X));
        assertEquals(1, of(r, "a").corrupt());
        assertEquals(1, of(r, "a").missing(), "a bad copy is also a missing intact copy");
        assertEquals(1, of(r, "b").corrupt());
        assertEquals(1, of(r, "c").missing());
        assertEquals(0, of(r, "c").corrupt());
        assertEquals(Set.of(X, Y), r.underReplicated());
        assertTrue(r.unrecoverable().isEmpty());
        assertEquals(Map.of("a", List.of(X), "b", List.of(Y), "c", List.of(Y)), r.repairs());
        AuditAnalysis.GroupFindings g = of(r, "a").groups().get(0);
        assertEquals(0, g.pg());
        assertEquals(List.of(X), g.corrupt());
        assertEquals(List.of(X), g.missing());
    }

    @Test
    void aChunkWithNoIntactCopyIsUnrecoverableAndNeverScheduledForRepair() {
        AuditAnalysis.Result r = analyze(node("a", Set.of(Z), X, Y, Z), node("b", Set.of(Z), X, Y, Z), node("c", Set.of(), X, Y));
        assertEquals(Set.of(Z), r.unrecoverable());
        assertFalse(r.underReplicated().contains(Z), "unrecoverable, not merely under-replicated");
        assertTrue(r.repairs().isEmpty(), "no repair from bad data: " + r.repairs());
        assertEquals(Set.of(Z), r.problemChunks());
    }

    @Test
    void unreferencedCopiesAreExtraAndCopiesOffTheirReplicasAreMisplaced() {
        AuditAnalysis.Result r = analyze(node("a", Set.of(), X, Y, Z, ORPHAN), node("b", Set.of(), X, Y, Z), node("c", Set.of(), X, Y, Z));
        assertEquals(1, of(r, "a").extra());
        assertEquals(List.of(ORPHAN), of(r, "a").groups().get(0).extra());
        assertEquals(1, of(r, "c").misplaced(), "c holds Z but is not one of its replicas");
        assertEquals(0, of(r, "c").missing());
        assertTrue(r.underReplicated().isEmpty());
    }

    @Test
    void anUnreachableNodeCountsNoCopies() {
        AuditAnalysis.Result r = analyze(node("a", Set.of(), X, Y, Z), node("b", Set.of(), X, Y, Z),
                new AuditAnalysis.NodeHoldings("c", null, Set.of(), "unreachable: connection refused"));
        assertFalse(of(r, "c").reachable());
        assertEquals("unreachable: connection refused", of(r, "c").error());
        assertEquals(Set.of(X, Y), r.underReplicated(), "only two intact copies of group 0's chunks can be vouched for");
        assertNull(r.repairs().get("c"));
    }
}
