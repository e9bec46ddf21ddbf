package io.glint.node.http;

/**
 * Bounds of the HTTP front end. Every one has a unit and a reason: headers and JSON bodies are
 * bounded so that no request can take unbounded memory; workers and their queue bound the
 * blocking work in flight; timeouts bound how long a slow client can hold a connection.
 */
public record HttpOptions(
        String bindHost,
        int port,
        int ioThreads,
        int workerThreads,
        int workerQueueMax,
        int maxInitialLineBytes,
        int maxHeaderBytes,
        int jsonBodyMaxBytes,
        long streamBufferedMaxBytes,
        long bodyIdleTimeoutMillis,
        long idleConnectionTimeoutMillis,
        long sendStallTimeoutMillis,
        long shutdownGraceMillis) {

    public static HttpOptions defaults(String host, int port) {
        return new HttpOptions(host, port, 2, 32, 256, 8192, 16384, 1 << 20, 4L << 20, 60_000, 120_000, 120_000,
                10_000);
    }
}
