package io.glint.registry.model;

import java.util.List;

/** A node of the cluster as the registry knows it: the input of placement (DESIGN §4, §7). */
public record NodeInfo(String id, String httpAddress, String peerAddress, String raftAddress, String zone,
                       long capacityBytes, NodeState state, long joinedAtMillis, long updatedAtMillis)
        implements Payload {

    public record Nodes(List<NodeInfo> nodes) implements Payload {
        public Nodes {
            nodes = List.copyOf(nodes);
        }
    }
}
