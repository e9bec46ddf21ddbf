package io.glint.registry.ratis;

import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Ratis's Netty client RPC with failed replies handed to another thread.
 *
 * <p>Why. In Ratis 3.3.0 the Netty client can deadlock when a connection breaks (a leader dies)
 * while requests are being sent: the event-loop thread fails the outstanding requests while
 * holding the connection's lock, and the ordered client's failure handling, which runs inline,
 * then wants the sliding window's lock; meanwhile a sending thread holds the sliding window's lock
 * and waits for the connection's lock to write its request. Seen in the leader-kill test with
 * jstack. Completing failures on {@code failures} instead lets the event loop release the
 * connection's lock first. Successful replies are not handed off: they complete outside that lock.
 */
final class FailureHandoffClientRpc implements RaftClientRpc {
    private final RaftClientRpc delegate;
    private final Executor failures;

    FailureHandoffClientRpc(ClientId clientId, RaftProperties properties, Executor failures) {
        this.delegate = ClientFactory.cast(SupportedRpcType.NETTY.newFactory(null)).newRaftClientRpc(clientId, properties);
        this.failures = failures;
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsync(RaftClientRequest request) {
        CompletableFuture<RaftClientReply> out = new CompletableFuture<>();
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = delegate.sendRequestAsync(request);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((reply, error) -> {
            if (error == null) {
                out.complete(reply);
            } else {
                try {
                    failures.execute(() -> out.completeExceptionally(error));
                } catch (RejectedExecutionException closing) {
                    out.completeExceptionally(error);
                }
            }
        });
        return out;
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsyncUnordered(RaftClientRequest request) {
        return delegate.sendRequestAsyncUnordered(request);
    }

    @Override
    public RaftClientReply sendRequest(RaftClientRequest request) throws IOException {
        return delegate.sendRequest(request);
    }

    @Override
    public boolean handleException(RaftPeerId serverId, Throwable t, boolean reconnect) {
        return delegate.handleException(serverId, t, reconnect);
    }

    @Override
    public boolean shouldReconnect(Throwable t) {
        return delegate.shouldReconnect(t);
    }

    @Override
    public void addRaftPeers(Collection<RaftPeer> peers) {
        delegate.addRaftPeers(peers);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
