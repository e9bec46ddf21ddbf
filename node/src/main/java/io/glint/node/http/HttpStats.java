package io.glint.node.http;

import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Timer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one HTTP server has answered: responses by status class, streamed bodies that broke off,
 * requests turned away because every worker was busy, and how long the handled requests whose
 * answers are not streamed took (API calls, as opposed to image data, whose time is its size's).
 */
public final class HttpStats {
    private final LongAdder[] byClass = new LongAdder[6]; // [1] = 1xx ... [5] = 5xx
    private final LongAdder brokenOff = new LongAdder();
    private final LongAdder refusedBusy = new LongAdder();
    private final Timer handled = new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());

    HttpStats() {
        for (int i = 1; i < byClass.length; i++) byClass[i] = new LongAdder();
    }

    void countResponse(int status) {
        int c = status / 100;
        if (c >= 1 && c <= 5) byClass[c].increment();
    }

    void countBrokenOff() {
        brokenOff.increment();
    }

    void countRefusedBusy() {
        refusedBusy.increment();
    }

    void timeHandled(long nanos) {
        handled.update(nanos, TimeUnit.NANOSECONDS);
    }

    /** Responses with a status of {@code statusClass}xx (1..5) sent so far. */
    public long responses(int statusClass) {
        return byClass[statusClass].sum();
    }

    /** Streamed response bodies that ended early (the client left, stalled, or the data could not be read). */
    public long brokenOff() {
        return brokenOff.sum();
    }

    /** Requests answered 503 at once because the worker pool and its queue were full. */
    public long refusedBusy() {
        return refusedBusy.sum();
    }

    /** Durations of handled requests whose response is not streamed, from handler start to response written. */
    public Timer handled() {
        return handled;
    }
}
