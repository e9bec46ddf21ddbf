package io.glint.node.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One bad request and what must hold for it: the statuses that are acceptable (all 4xx), how far
 * the registry may move (not at all, or only its applied index when the state machine is the one
 * that rejects), and whether the server may end the connection without an answer (only for
 * framing lies, where the request never ends from the server's point of view). The request is
 * kept as bytes so that anything, valid or not, can be sent.
 */
final class Probe {
    /** How much of the registry a rejected request may touch. */
    enum Registry {
        /** Rejected at the edge: nothing proposed, the whole state digest (applied index too) is unchanged. */
        UNTOUCHED,
        /** Rejected by the state machine: the log may advance, every table but the applied index is unchanged. */
        CONTENT_UNCHANGED
    }

    /** Who sends the request (noauth identity headers). */
    enum Who {
        ADMIN(null, null),
        OWNER(BadInputTarget.OWNER, "member,reader"),
        MEMBER(BadInputTarget.MEMBER, "member,reader"),
        STRANGER(BadInputTarget.STRANGER, "member,reader");

        final String project;
        final String roles;

        Who(String project, String roles) {
            this.project = project;
            this.roles = roles;
        }
    }

    final String label;
    private String method = "GET";
    private byte[] target = "/".getBytes(StandardCharsets.ISO_8859_1);
    private final List<String[]> headers = new ArrayList<>();
    private byte[] body;
    private boolean autoLength = true;
    private byte[] raw;
    private String accept;
    private Who who = Who.OWNER;
    private Set<Integer> allowed = Set.of(400);
    private Registry registry = Registry.UNTOUCHED;
    private boolean framingLie;
    private boolean endOutput;
    private String requiredHeader;
    private boolean headUnread;
    private boolean chunkStoreMayChange;

    private Probe(String label) {
        this.label = label;
    }

    static Probe of(String label) {
        return new Probe(label);
    }

    Probe request(String method, String target) {
        this.method = method;
        this.target = target.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    /** A request target given as raw bytes (e.g. invalid UTF-8). */
    Probe request(String method, byte[] target) {
        this.method = method;
        this.target = target.clone();
        return this;
    }

    Probe header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    Probe body(byte[] body) {
        this.body = body.clone();
        return this;
    }

    Probe body(String body) {
        return body(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Headers are written as given: no Content-Length is added for the body. */
    Probe noAutoLength() {
        this.autoLength = false;
        return this;
    }

    /** The whole request as bytes, sent as is (no Host, identity or Accept added). */
    Probe raw(String request) {
        this.raw = request.getBytes(StandardCharsets.ISO_8859_1);
        return this;
    }

    boolean isRaw() {
        return raw != null;
    }

    Probe accept(String accept) {
        this.accept = accept;
        return this;
    }

    String accept() {
        return accept;
    }

    Probe as(Who who) {
        this.who = who;
        return this;
    }

    Probe expect(Integer... statuses) {
        this.allowed = new LinkedHashSet<>(List.of(statuses));
        return this;
    }

    Set<Integer> allowed() {
        return allowed;
    }

    /** The state machine may be the one that rejects: the log may advance. */
    Probe stateMachineMayReject() {
        this.registry = Registry.CONTENT_UNCHANGED;
        return this;
    }

    Registry registry() {
        return registry;
    }

    /**
     * The request lies about its framing: the server may end the connection without an answer, and
     * bytes after the lie may be answered as further (rejected) requests.
     */
    Probe framingLie() {
        this.framingLie = true;
        return this;
    }

    boolean isFramingLie() {
        return framingLie;
    }

    /** Half-close the connection after sending (the server sees the end of the stream). */
    Probe endOutput() {
        this.endOutput = true;
        return this;
    }

    boolean endsOutput() {
        return endOutput;
    }

    /** An error answer must carry this header (Allow on 405, Accept-Patch on a PATCH 415). */
    Probe requireHeaderOnError(String name) {
        this.requiredHeader = name;
        return this;
    }

    String requiredHeader() {
        return requiredHeader;
    }

    /**
     * The server cannot have read the head (it is too large): it cannot know the Accept header, so
     * any of the three error representations is right, as long as it is a well-formed one.
     */
    Probe headUnread() {
        this.headUnread = true;
        return this;
    }

    boolean isHeadUnread() {
        return headUnread;
    }

    /**
     * Image bytes may have reached the chunk store before the request failed (an upload whose body
     * breaks off): orphan chunks are the garbage collector's; files outside the store still may not change.
     */
    Probe chunkStoreMayChange() {
        this.chunkStoreMayChange = true;
        return this;
    }

    boolean isChunkStoreMayChange() {
        return chunkStoreMayChange;
    }

    String method() {
        return raw != null ? new String(raw, 0, Math.max(0, indexOf(raw, (byte) ' ')), StandardCharsets.ISO_8859_1)
                : method;
    }

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) if (b[i] == x) return i;
        return b.length;
    }

    byte[] bytes() {
        if (raw != null) return raw.clone();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, method + " ");
        out.write(target, 0, target.length);
        write(out, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (who.project != null) {
            write(out, "X-Project-Id: " + who.project + "\r\nX-User-Id: user-" + who.project + "\r\nX-Roles: "
                    + who.roles + "\r\n");
        }
        if (accept != null) write(out, "Accept: " + accept + "\r\n");
        for (String[] h : headers) write(out, h[0] + ": " + h[1] + "\r\n");
        if (body != null && autoLength) write(out, "Content-Length: " + body.length + "\r\n");
        write(out, "\r\n");
        if (body != null) out.write(body, 0, body.length);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }

    @Override
    public String toString() {
        String text = new String(bytes(), StandardCharsets.ISO_8859_1);
        StringBuilder b = new StringBuilder(label).append(" [").append(who).append("] ");
        int shown = Math.min(text.length(), 600);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (c == '\r') b.append("\\r");
            else if (c == '\n') b.append("\\n");
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (text.length() > shown) b.append("... (").append(text.length()).append(" bytes)");
        return b.toString();
    }
}
