package io.glint.node.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jvm.BufferPoolMetricSet;
import com.codahale.metrics.jvm.CachedThreadStatesGaugeSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import io.glint.node.http.Response;
import io.glint.node.http.Route;
import io.glint.node.http.Router;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A node's metrics (DESIGN §8), written in Prometheus' text format by {@link #scrape}: counters
 * straight in the Prometheus registry, and gauges, timers and the JVM's metric sets in a Dropwizard
 * {@link MetricRegistry} that the registry reads through client_java's bridge.
 *
 * <p>The services keep their own counts (atomics they already report on the status page), so the
 * metrics here read them at scrape time rather than keeping second copies: a {@linkplain #counter
 * counter} for a count that only grows (Prometheus type counter, name ending in {@code _total}), a
 * {@linkplain #gauge gauge} for a level. Dots in a name become underscores: {@code
 * glint.chunk_store.bytes_written} is scraped as {@code glint_chunk_store_bytes_written_total}.
 */
public final class NodeMetrics {
    /** What {@link #scrape} writes: Prometheus' text exposition format 0.0.4. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final MetricRegistry registry = new MetricRegistry();
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public NodeMetrics() {
        DropwizardExports.builder().dropwizardRegistry(registry).register(prometheus);
        // The JVM's levels: heap and its pools, direct and mapped buffers (chunks are read into
        // pooled direct buffers, so a leak shows there first), collections and their time, and
        // threads by state (counted at most every 10 s: a count walks every thread).
        registry.register("glint.jvm.memory", new MemoryUsageGaugeSet());
        registry.register("glint.jvm.buffers", new BufferPoolMetricSet(ManagementFactory.getPlatformMBeanServer()));
        // Collections and their time only grow: counters (metrics-jvm's set would export them as gauges).
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = "glint.jvm.gc." + gc.getName().replaceAll("[^A-Za-z0-9]+", "_");
            counter(name + ".collections", () -> Math.max(0, gc.getCollectionCount()));
            counter(name + ".time_millis", () -> Math.max(0, gc.getCollectionTime()));
        }
        registry.register("glint.jvm.threads", new CachedThreadStatesGaugeSet(10, TimeUnit.SECONDS));
    }

    /**
     * Registers a count that only grows, read from {@code count} at each scrape. It goes to the
     * Prometheus registry itself as a counter with a callback: a Dropwizard counter would have to
     * be a {@code Counter} that refuses to be incremented.
     */
    public NodeMetrics counter(String name, LongSupplier count) {
        CounterWithCallback.builder().name(name).callback(c -> c.call(count.getAsLong())).register(prometheus);
        return this;
    }

    /** Registers a level (a number that goes up and down), read from {@code value} at each scrape. */
    public NodeMetrics gauge(String name, LongSupplier value) {
        registry.register(name, new ReadGauge(value));
        return this;
    }

    /** Registers a metric a service keeps itself (an HTTP server's request timer, say). */
    public NodeMetrics metric(String name, Metric metric) {
        registry.register(name, metric);
        return this;
    }

    /** Serves {@link #scrape} at {@code GET /metrics}. */
    public void register(Router router) {
        router.add(HttpMethod.GET, "/metrics", Route.BodyMode.NONE,
                req -> Response.bytes(HttpResponseStatus.OK, CONTENT_TYPE, scrape()));
    }

    /** Every metric in Prometheus' text format, as of now. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, prometheus.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /** A Dropwizard gauge read from a service. */
    private static final class ReadGauge implements Gauge<Long> {
        private final LongSupplier value;

        ReadGauge(LongSupplier value) {
            this.value = value;
        }

        @Override
        public Long getValue() {
            return value.getAsLong();
        }
    }
}
