package io.glint.node.fuzz;

import io.glint.node.fuzz.Probe.Who;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixed table of nasty requests (fault matrix rows 25, 27-30): the suspects one by one, and the
 * framing lies that need a raw socket (Content-Length lies, Content-Length with Transfer-Encoding,
 * broken chunked bodies, duplicate lengths), where the answer must be a 4xx or the end of the
 * connection and the bytes after the lie must never be taken for a request that runs. Every case
 * goes through {@link BadInputTarget#check}: 4xx, Glance error format, registry unchanged, no file
 * touched, server still serving. Accept headers rotate over the table of spec §6.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCasesTest {
    private BadInputTarget t;

    @BeforeAll
    void start() throws IOException {
        t = BadInputTarget.start(Files.createTempDirectory("glint-bad-cases"));
    }

    @AfterAll
    void stop() {
        if (t != null) t.close();
    }

    private Stream<DynamicTest> run(List<Probe> probes) {
        return IntStream.range(0, probes.size()).mapToObj(i -> {
            Probe p = probes.get(i);
            if (p.accept() == null && !p.isRaw()) {
                String a = BadInputs.ACCEPTS.get(i % BadInputs.ACCEPTS.size());
                p.accept(a.equals(BadInputs.NONE) ? null : a);
            }
            return DynamicTest.dynamicTest(i + ": " + p.label, () -> t.check(p));
        });
    }

    private static Probe create(String label, String body) {
        return Probe.of(label).request("POST", "/v2/images").header("Content-Type", "application/json").body(body);
    }

    private static Probe create(String label, byte[] body) {
        return Probe.of(label).request("POST", "/v2/images").header("Content-Type", "application/json").body(body);
    }

    private static byte[] bytes(String before, byte[] middle, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(middle);
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @TestFactory
    Stream<DynamicTest> jsonSuspects() {
        List<Probe> c = new ArrayList<>();
        c.add(create("name with a lone high surrogate", "{\"name\": \"\\ud800\"}").expect(400));
        c.add(create("name with a lone low surrogate", "{\"name\": \"x\\udc00\"}").expect(400));
        c.add(create("tag with a lone surrogate", "{\"tags\": [\"\\udbff\"]}").expect(400));
        c.add(create("extra key with a lone surrogate", "{\"\\ud800\": \"v\"}").expect(400));
        c.add(create("extra value with a lone surrogate", "{\"os_distro\": \"\\ud800\"}").expect(400));
        c.add(create("owner with a lone surrogate", "{\"owner\": \"\\ud800\"}").as(Who.ADMIN).expect(400));
        c.add(BadInputs.patch("patch value with a lone surrogate", t.queued,
                "[{\"op\": \"add\", \"path\": \"/os_distro\", \"value\": \"\\udc00\"}]").expect(400));
        c.add(BadInputs.patch("patch path with a lone surrogate", t.queued,
                "[{\"op\": \"add\", \"path\": \"/\\ud800\", \"value\": \"x\"}]").expect(400));
        c.add(Probe.of("member id with a lone surrogate").request("POST", "/v2/images/" + t.shared + "/members")
                .header("Content-Type", "application/json").body("{\"member\": \"\\ud800\"}").expect(400));
        c.add(Probe.of("import body with a lone surrogate").request("POST", "/v2/images/" + t.queued + "/import")
                .header("Content-Type", "application/json")
                .body("{\"method\": {\"name\": \"glance-direct\"}, \"stores\": [\"\\ud800\"]}").expect(400));
        c.add(create("id with a NUL", "{\"id\": \"" + java.util.UUID.randomUUID() + "\\u0000\"}").expect(400));
        c.add(Probe.of("member id with a NUL").request("POST", "/v2/images/" + t.shared + "/members")
                .header("Content-Type", "application/json").body("{\"member\": \"a\\u0000b\"}").expect(400)
                .stateMachineMayReject());
        c.add(create("min_ram 1e30", "{\"min_ram\": 1e30}").expect(400));
        c.add(create("min_ram 2^63", "{\"min_ram\": 9223372036854775808}").expect(400));
        c.add(create("min_disk -2^63-1", "{\"min_disk\": -9223372036854775809}").expect(400));
        c.add(create("min_ram -1", "{\"min_ram\": -1}").expect(400));
        c.add(create("min_ram 1.5", "{\"min_ram\": 1.5}").expect(400));
        c.add(create("min_ram with 100 digits", "{\"min_ram\": " + "9".repeat(100) + "}").expect(400));
        c.add(BadInputs.patch("patch min_ram 2^63", t.queued,
                "[{\"op\": \"replace\", \"path\": \"/min_ram\", \"value\": 9223372036854775808}]").expect(400));
        c.add(create("10 000 nested arrays", "{\"name\": " + "[".repeat(10_000) + "]".repeat(10_000) + "}").expect(400));
        c.add(create("10 000 nested objects", "{\"name\": " + "{\"a\": ".repeat(10_000) + "1" + "}".repeat(10_000) + "}")
                .expect(400));
        c.add(BadInputs.patch("10 000 nested arrays in a patch", t.active, "[".repeat(10_000) + "]".repeat(10_000)).expect(400));
        c.add(create("duplicate keys", "{\"name\": \"a\", \"name\": \"b\"}").expect(400));
        c.add(BadInputs.patch("duplicate op keys", t.queued,
                "[{\"op\": \"remove\", \"op\": \"add\", \"path\": \"/os_distro\", \"value\": \"x\"}]").expect(400));
        c.add(create("invalid UTF-8: 0xFF", bytes("{\"name\": \"", new byte[] {(byte) 0xFF}, "\"}")).expect(400));
        c.add(create("invalid UTF-8: overlong NUL", bytes("{\"name\": \"a", new byte[] {(byte) 0xC0, (byte) 0x80}, "b\"}"))
                .expect(400));
        c.add(create("invalid UTF-8: overlong '/'", bytes("{\"name\": \"..", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"))
                .expect(400));
        c.add(create("invalid UTF-8: CESU-8 surrogate",
                bytes("{\"name\": \"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}")).expect(400));
        c.add(create("invalid UTF-8: key", bytes("{\"", new byte[] {(byte) 0xFE}, "\": \"v\"}")).expect(400));
        c.add(create("truncated", "{\"name\": \"x\"").expect(400));
        c.add(create("trailing garbage", "{\"name\": \"x\"} x").expect(400));
        c.add(create("invalid escape", "{\"name\": \"\\x41\"}").expect(400));
        c.add(create("top-level array", "[{\"name\": \"x\"}]").expect(400));
        c.add(create("top-level string", "\"x\"").expect(400));
        c.add(create("empty body", "").expect(400));
        c.add(create("unknown attribute with a number", "{\"os_distro\": 5}").expect(400));
        c.add(create("read-only status", "{\"status\": \"active\"}").expect(403));
        c.add(create("generated self", "{\"self\": \"/v2/images/x\"}").expect(403));
        c.add(create("reserved os_glance_*", "{\"os_glance_import_task\": \"x\"}").expect(403));
        c.add(create("locations at create", "{\"locations\": []}").expect(403));
        c.add(create("JSON declared larger than 1 MiB", "").noAutoLength()
                .header("Content-Length", String.valueOf((1 << 20) + 1)).expect(413));
        return run(c);
    }

    @Test
    void aJsonBodyOverOneMebibyteInChunksIsA413() {
        StringBuilder body = new StringBuilder();
        String piece = "{\"name\": \"" + "x".repeat(64 * 1024) + "\"}";
        for (int i = 0; i < 17; i++) body.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        body.append("0\r\n\r\n");
        t.check(create("chunked JSON over 1 MiB", body.toString()).noAutoLength().header("Transfer-Encoding", "chunked")
                .expect(413));
    }

    @TestFactory
    Stream<DynamicTest> pathSuspects() {
        List<Probe> c = new ArrayList<>();
        for (String id : List.of("%2e%2e%2f", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%00", t.active + "%00", "%2F",
                t.active + "%2F..", "%252e%252e", "%252e%252e%252f", "..%5c..%5cetc", "..\\..\\etc", "\\", "..", ".",
                "%2e", "..;", "%c0%ae%c0%ae", "%ff", "%", "%zz", t.active.toUpperCase().substring(0, 35),
                "urn:uuid:" + t.active, "{" + t.active + "}")) {
            c.add(Probe.of("GET image " + id).request("GET", "/v2/images/" + id).expect(404));
            c.add(Probe.of("GET file of " + id).request("GET", "/v2/images/" + id + "/file").expect(404));
            c.add(Probe.of("DELETE image " + id).request("DELETE", "/v2/images/" + id).expect(404));
            c.add(Probe.of("PUT file of " + id).request("PUT", "/v2/images/" + id + "/file")
                    .header("Content-Type", "application/octet-stream").body("data").expect(404));
        }
        for (String path : List.of("/v2/images/../../etc/passwd", "/v2/%2e%2e/images", "/v2/images/%2e%2e/file",
                "/v2/images/" + t.active + "/file/..", "/v2/images/" + t.active + "/..%2ffile", "/v2/images/"
                        + t.active + "%2f..%2f" + t.queued, "/v2/images/" + t.active + "/file%00",
                "/v2/images/" + t.active + "/file/%2e%2e%2f%2e%2e%2fcanary.txt", "/v2/images/" + t.active
                        + "/members/..%2f..%2f", "/v2/images/" + t.queued + "/tags/%2e%2e%2f..%2fcanary.txt",
                "/v2/..%2f..%2fcanary.txt", "/v2/images/" + t.active + "/../" + t.queued)) {
            // 405 where the segments happen to form a route of another method (e.g. GET .../tags/{tag})
            c.add(Probe.of("GET " + path).request("GET", path).expect(404, 405));
            c.add(Probe.of("DELETE " + path).request("DELETE", path).expect(404, 405).stateMachineMayReject());
        }
        c.add(Probe.of("raw invalid UTF-8 in a path").request("GET",
                bytes("/v2/images/", new byte[] {(byte) 0xC0, (byte) 0xAF, (byte) 0xFF}, "")).expect(400, 404));
        // Netty refuses the request line before reading headers, so Accept is unknown: any error format
        c.add(Probe.of("NUL byte in a path").request("GET", bytes("/v2/images/a", new byte[] {0}, "b")).expect(400)
                .headUnread());
        c.add(Probe.of("tag of 256 characters").request("PUT", "/v2/images/" + t.queued + "/tags/" + "t".repeat(256))
                .expect(400));
        c.add(Probe.of("tag of invalid UTF-8").request("PUT", "/v2/images/" + t.queued + "/tags/%ff%fe").expect(404));
        return run(c);
    }

    @TestFactory
    Stream<DynamicTest> headerSuspects() {
        String file = "/v2/images/" + t.active + "/file";
        List<Probe> c = new ArrayList<>();
        for (String r : List.of("bytes=", "bytes=5-1", "bytes=-0", "bytes=a-b", "items=0-1", "bytes=5000-",
                "bytes=99999999999999999999999-", "bytes=0-1-2", "bytes=--1", "bytes 0-1")) {
            c.add(Probe.of("Range " + r).request("GET", file).header("Range", r).expect(416));
        }
        for (String r : List.of("bytes=0-1,2-3", "bytes=0-1,", "bytes=,0-1", "bytes=0-0,0-0,0-0")) {
            c.add(Probe.of("Range " + r).request("GET", file).header("Range", r).expect(400));
        }
        c.add(Probe.of("Range on the deactivated image").request("GET", "/v2/images/" + t.deactivated + "/file")
                .header("Range", "bytes=5-1").expect(403));
        for (String ct : List.of("application/json", "application/json-patch+json", ";", "", " ; charset=utf-8",
                "application/openstack-images-v2.1-json-patch-x", "text/plain")) {
            c.add(Probe.of("PATCH as '" + ct + "'").request("PATCH", "/v2/images/" + t.queued).header("Content-Type", ct)
                    .body("[" + BadInputs.VALID_OP + "]").expect(415).requireHeaderOnError("Accept-Patch"));
        }
        c.add(Probe.of("PATCH without Content-Type").request("PATCH", "/v2/images/" + t.queued)
                .body("[" + BadInputs.VALID_OP + "]").expect(415).requireHeaderOnError("Accept-Patch"));
        for (String ct : List.of("application/json", ";", "", "application/octet-streamx", "text/plain; x=application/octet-stream")) {
            c.add(Probe.of("upload as '" + ct + "'").request("PUT", "/v2/images/" + t.queued + "/file")
                    .header("Content-Type", ct).body("data").expect(415));
        }
        c.add(Probe.of("upload without Content-Type").request("PUT", "/v2/images/" + t.queued + "/file").body("data")
                .expect(415));
        c.add(Probe.of("stage as JSON").request("PUT", "/v2/images/" + t.queued + "/stage")
                .header("Content-Type", "application/json").body("data").expect(415));
        c.add(Probe.of("header of 16 KiB + 1").request("GET", "/v2/images").header("X-Junk", "a".repeat(16 * 1024 + 1))
                .expect(431).headUnread());
        c.add(Probe.of("header of 64 KiB").request("GET", "/v2/images").header("X-Junk", "a".repeat(64 * 1024))
                .expect(431).headUnread());
        c.add(Probe.of("request line of 8 KiB + 1").request("GET", "/v2/images?name=" + "x".repeat(8 * 1024 + 1))
                .expect(414).headUnread());
        c.add(Probe.of("request id of 65 characters").request("GET", "/v2/images")
                .header("X-OpenStack-Request-ID", "r".repeat(65)).expect(431));
        return run(c);
    }

    @TestFactory
    Stream<DynamicTest> listAndPatchSuspects() {
        List<Probe> c = new ArrayList<>();
        for (String q : List.of("limit=-1", "limit=abc", "marker=" + java.util.UUID.randomUUID(), "marker=..%2f..",
                "sort_key=bogus", "sort_dir=sideways", "sort=name:up", "sort=name&sort_key=name", "visibility=bogus",
                "limit=%zz", "%zz", "name=%", "limit=1%", "sort_key=name;", "sort_key=name;sort_dir=asc",
                "created_at=gte:yesterday", "name=foo:bar")) {
            c.add(Probe.of("list ?" + q).request("GET", "/v2/images?" + q).expect(400));
        }
        for (String op : List.of("test", "move", "copy")) {
            c.add(BadInputs.patch("patch op " + op, t.queued, "[{\"op\": \"" + op + "\", \"path\": \"/name\", \"from\": "
                    + "\"/name\", \"value\": \"x\"}]").expect(400));
        }
        c.add(BadInputs.patch("patch path without '/'", t.queued, "[{\"op\": \"replace\", \"path\": \"name\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch path '/'", t.queued, "[{\"op\": \"replace\", \"path\": \"/\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch path '//x'", t.queued, "[{\"op\": \"replace\", \"path\": \"//x\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch path '/a~2b'", t.queued, "[{\"op\": \"add\", \"path\": \"/a~2b\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch path too deep", t.queued, "[{\"op\": \"add\", \"path\": \"/a/b\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch without value", t.queued, "[{\"op\": \"add\", \"path\": \"/a\"}]").expect(400));
        c.add(BadInputs.patch("patch without op", t.queued, "[{\"path\": \"/a\", \"value\": \"x\"}]").expect(400));
        c.add(BadInputs.patch("patch not an array", t.queued, "{\"op\": \"add\", \"path\": \"/a\", \"value\": \"x\"}").expect(400));
        c.add(BadInputs.patch("patch add location", t.active, "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": "
                + "{\"url\": \"file:///etc/passwd\", \"metadata\": {}}}]").expect(403));
        c.add(BadInputs.patch("patch replace locations", t.active,
                "[{\"op\": \"replace\", \"path\": \"/locations\", \"value\": []}]").expect(403));
        c.add(BadInputs.patch("patch remove location", t.active, "[{\"op\": \"remove\", \"path\": \"/locations/0\"}]").expect(403));
        c.add(BadInputs.patch("valid op then a bad one", t.queued, "[" + BadInputs.VALID_OP
                + ", {\"op\": \"replace\", \"path\": \"/min_ram\", \"value\": -5}]").expect(400));
        c.add(BadInputs.patch("valid op then removing a core field", t.queued, "[" + BadInputs.VALID_OP
                + ", {\"op\": \"remove\", \"path\": \"/name\"}]").expect(403).stateMachineMayReject());
        c.add(Probe.of("body on a body-less route").request("GET", "/v2/images/" + t.active)
                .header("Content-Type", "application/json").body("{}").expect(400));
        c.add(Probe.of("wrong method").request("POST", "/v2/images/" + t.active).header("Content-Type", "application/json")
                .body("{}").expect(405));
        c.add(Probe.of("lower-case method").request("get", "/v2/images").expect(405));
        return run(c);
    }

    // ------------------------------------------------------------------ framing: raw requests

    private String owner() {
        return "X-Project-Id: " + BadInputTarget.OWNER + "\r\nX-User-Id: u\r\nX-Roles: member,reader\r\n";
    }

    /** A request that would change the registry if the server ever ran it: the proof of a desync. */
    private String smuggled() {
        return "DELETE /v2/images/" + t.active + " HTTP/1.1\r\nHost: x\r\n" + owner() + "\r\n";
    }

    @TestFactory
    Stream<DynamicTest> framingLies() {
        List<Probe> c = new ArrayList<>();
        String create = "POST /v2/images HTTP/1.1\r\nHost: x\r\n" + owner() + "Content-Type: application/json\r\n";
        c.add(Probe.of("Content-Length longer than the body, then half-close")
                .raw(create + "Content-Length: 100\r\n\r\n{\"name\": \"x\"}").endOutput().expect(400).framingLie());
        c.add(Probe.of("Content-Length shorter than the body")
                .raw(create + "Content-Length: 5\r\n\r\n{\"name\": \"x\"}").expect(400).framingLie());
        String smuggled = smuggled();
        c.add(Probe.of("Content-Length and chunked: chunked says the body is empty")
                .raw(create + "Content-Length: " + (5 + smuggled.length()) + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                        + smuggled).expect(400).framingLie());
        c.add(Probe.of("chunked and Content-Length (reversed order)")
                .raw(create + "Transfer-Encoding: chunked\r\nContent-Length: " + (5 + smuggled.length()) + "\r\n\r\n0\r\n\r\n"
                        + smuggled).expect(400).framingLie());
        String body = "{\"name\": \"x\"}";
        String chunkedBody = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
        c.add(Probe.of("Content-Length and chunked: both describe a valid body")
                .raw(create + "Content-Length: " + chunkedBody.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody)
                .expect(400).framingLie());
        c.add(Probe.of("two different Content-Lengths")
                .raw(create + "Content-Length: 2\r\nContent-Length: " + (2 + smuggled.length()) + "\r\n\r\n{}" + smuggled)
                .expect(400).framingLie());
        c.add(Probe.of("a Content-Length list")
                .raw(create + "Content-Length: 2, " + (2 + smuggled.length()) + "\r\n\r\n{}" + smuggled).expect(400).framingLie());
        c.add(Probe.of("the same Content-Length twice")
                .raw(create + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}").expect(400).framingLie());
        for (String cl : List.of("abc", "-1", "+2", "2 2", "0x2", "99999999999999999999")) {
            c.add(Probe.of("Content-Length '" + cl + "'").raw(create + "Content-Length: " + cl + "\r\n\r\n{}")
                    .expect(400, 413).framingLie());
        }
        for (String te : List.of("gzip, chunked", "chunked, gzip", "xchunked", "identity", "chunked, chunked",
                "chunked\r\nTransfer-Encoding: gzip", "chunked\r\nTransfer-Encoding: chunked")) {
            c.add(Probe.of("Transfer-Encoding '" + te + "'")
                    .raw(create + "Transfer-Encoding: " + te + "\r\n\r\n" + chunkedBody).expect(400).framingLie());
        }
        c.add(Probe.of("chunked body whose chunk size is not hex, after a complete JSON chunk")
                .raw(create + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\nxx\r\n0\r\n\r\n").expect(400).framingLie());
        c.add(Probe.of("chunked body whose chunk size overflows")
                .raw(create + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nffffffffffffffffffff\r\nxx\r\n0\r\n\r\n")
                .expect(400).framingLie());
        c.add(Probe.of("chunk longer than its size")
                .raw(create + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}xx\r\n0\r\n\r\n").expect(400).framingLie());
        c.add(Probe.of("header line without a colon").raw(create + "Content-Length 2\r\n\r\n{}").expect(400).framingLie());
        c.add(Probe.of("space before the colon of Content-Length")
                .raw(create + "Content-Length : 2\r\n\r\n{}" + smuggled).expect(400).framingLie());
        c.add(Probe.of("folded Content-Length").raw(create + "Content-Length: 2\r\n " + (2 + smuggled.length())
                + "\r\n\r\n{}" + smuggled).expect(400).framingLie());
        c.add(Probe.of("bare LF line ends").raw("GET /v2/images HTTP/1.1\nHost: x\n\n").expect(400).framingLie());
        c.add(Probe.of("a Content-Length hidden behind a bare LF")
                .raw(create + "X-Junk: a\nContent-Length: " + (2 + smuggled.length()) + "\r\nContent-Length: 2\r\n\r\n{}" + smuggled)
                .expect(400).framingLie());
        c.add(Probe.of("HEAD on a traversal id").request("HEAD", "/v2/images/%2e%2e%2f%2e%2e").expect(404, 405));
        c.add(Probe.of("NUL in a header value").raw("GET /v2/images HTTP/1.1\r\nHost: x\r\nX-Junk: a\u0000b\r\n\r\n")
                .expect(400).framingLie());
        c.add(Probe.of("request line with extra words").raw("GET /v2/images HTTP/1.1 extra\r\nHost: x\r\n\r\n")
                .expect(400).framingLie());
        c.add(Probe.of("request line without a version").raw("GET /v2/images\r\nHost: x\r\n\r\n").expect(400).framingLie());
        c.add(Probe.of("binary garbage").raw("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003\r\n\r\n")
                .expect(400).framingLie());
        c.add(Probe.of("Expect: 100-continue on a bad upload")
                .raw("PUT /v2/images/" + t.queued + "/file HTTP/1.1\r\nHost: x\r\n" + owner()
                        + "Content-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata").expect(415));
        return run(c);
    }

    /**
     * An upload whose chunked body breaks off after a first chunk is a 400, and the image stays
     * queued without data: the bytes before the break are never committed as the image. (The
     * upload's lease was taken and released, so updated_at moves: the digest check does not apply.)
     */
    @Test
    void aBrokenChunkedUploadLeavesTheImageQueuedWithoutData() throws IOException {
        for (String broken : List.of("zz\r\n", "ffffffffffffffffffff\r\n", "1\r\nxy\r\n0\r\n\r\n")) {
            Probe p = Probe.of("broken chunked upload").raw("PUT /v2/images/" + t.queued + "/file HTTP/1.1\r\nHost: x\r\n"
                    + owner() + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n"
                    + broken).expect(400);
            try (RawConnection c = RawConnection.open(t.port())) {
                c.send(p.bytes());
                RawConnection.Answer a = c.read(false);
                assertEquals(400, a == null ? -1 : a.status(), () -> broken + " -> " + a);
                t.checkErrorFormat(p, a);
                assertTrue(a.closes(), a::toString);
            }
            try (RawConnection c = RawConnection.open(t.port())) {
                c.send(("GET /v2/images/" + t.queued + " HTTP/1.1\r\nHost: x\r\n" + owner() + "\r\n").getBytes(StandardCharsets.UTF_8));
                String image = c.read(false).bodyText();
                assertTrue(image.contains("\"status\":\"queued\"") && image.contains("\"size\":null")
                        && image.contains("\"checksum\":null"), image);
                c.send(("GET /v2/images/" + t.queued + "/file HTTP/1.1\r\nHost: x\r\n" + owner() + "\r\n").getBytes(StandardCharsets.UTF_8));
                assertEquals(204, c.read(false).status());
            }
        }
    }

    @Test
    void theSmuggledRequestNeverRuns() {
        // belt and braces for the framing cases: the image the smuggled DELETE names is still there
        for (Probe p : List.of(Probe.of("Content-Length with chunked").raw("POST /v2/images HTTP/1.1\r\nHost: x\r\n" + owner()
                + "Content-Length: " + (5 + smuggled().length()) + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + smuggled()).expect(400).framingLie())) {
            t.check(p);
        }
        RawConnection.Answer a;
        try (RawConnection c = RawConnection.open(t.port())) {
            c.send(("GET /v2/images/" + t.active + " HTTP/1.1\r\nHost: x\r\n" + owner() + "\r\n").getBytes(StandardCharsets.UTF_8));
            a = c.read(false);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(200, a.status(), a::toString);
        assertTrue(a.bodyText().contains("\"status\":\"active\""), a::toString);
    }
}
