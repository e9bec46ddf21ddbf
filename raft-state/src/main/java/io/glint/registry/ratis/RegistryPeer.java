package io.glint.registry.ratis;

import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftPeer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One member of the registry group as configured: its id, the {@code host:port} of its Raft
 * endpoint and whether it votes. Voters form the Raft quorum; listeners receive the whole log and
 * keep a full local copy for local reads but never vote (DESIGN §3: the first 3 or 5 nodes vote,
 * every further node listens).
 */
public record RegistryPeer(String id, String address, Role role) {

    public enum Role { VOTER, LISTENER }

    public RegistryPeer {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(role, "role");
        if (id.isBlank()) throw new IllegalArgumentException("blank peer id");
        if (address.lastIndexOf(':') <= 0) throw new IllegalArgumentException("address must be host:port, got " + address);
    }

    public static RegistryPeer voter(String id, String address) {
        return new RegistryPeer(id, address, Role.VOTER);
    }

    public static RegistryPeer listener(String id, String address) {
        return new RegistryPeer(id, address, Role.LISTENER);
    }

    /** The first {@code voterCount} of {@code peers} vote, the rest listen (their given roles are ignored). */
    public static List<RegistryPeer> firstVoters(List<RegistryPeer> peers, int voterCount) {
        if (voterCount < 1) throw new IllegalArgumentException("at least one voter is needed");
        List<RegistryPeer> out = new ArrayList<>(peers.size());
        for (int i = 0; i < peers.size(); i++) {
            RegistryPeer p = peers.get(i);
            out.add(new RegistryPeer(p.id(), p.address(), i < voterCount ? Role.VOTER : Role.LISTENER));
        }
        return List.copyOf(out);
    }

    public boolean isVoter() {
        return role == Role.VOTER;
    }

    public int port() {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    public String host() {
        return address.substring(0, address.lastIndexOf(':'));
    }

    RaftPeer toRaftPeer() {
        return RaftPeer.newBuilder()
                .setId(id)
                .setAddress(address)
                .setStartupRole(isVoter() ? RaftPeerRole.FOLLOWER : RaftPeerRole.LISTENER)
                .build();
    }

    static RegistryPeer fromRaftPeer(RaftPeer p, Role role) {
        return new RegistryPeer(p.getId().toString(), p.getAddress(), role);
    }
}
