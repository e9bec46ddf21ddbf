package io.glint.node.fuzz;

import io.glint.node.fuzz.Probe.Who;
import io.glint.registry.model.Formats;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Generators of bad requests against a seeded {@link BadInputTarget}, one family per kind of bad
 * input the issue names. Every generated request is bad by construction (no filter on the server's
 * own answer), and carries the statuses Glance gives it (spec §1.4, §4.1, §4.4, §4.7, §6.2).
 */
final class BadInputs {
    private BadInputs() {}

    static final String NONE = "<no Accept>";
    /** Accept headers whose error representation spec §6.1 fixes (see BadInputTarget.expectedKind). */
    static final List<String> ACCEPTS = List.of(NONE, "*/*", "text/html", "application/json",
            "application/json, text/plain;q=0.5", "text/plain", "", "image/png");

    static Arbitrary<String> accepts() {
        return Arbitraries.of(ACCEPTS).map(a -> a.equals(NONE) ? null : a);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    // ------------------------------------------------------------------ JSON values of the wrong kind

    /** JSON strings holding unpaired UTF-16 surrogates: no UTF-8 form, nothing may store them. */
    static final List<String> LONE_SURROGATES = List.of("\"\\ud800\"", "\"a\\udc00b\"", "\"\\udbff\"",
            "\"\\ud800\\ud800\"", "\"\\udc00\\ud800\"", "\"x\\uDFFF\"");
    private static final String LONG_256 = quote("n".repeat(256));

    static final List<String> NOT_STRINGS = List.of("0", "1.5", "-1", "true", "false", "[]", "{}", "[\"x\"]",
            "{\"a\": \"b\"}", "1e400", "99999999999999999999999");
    static final List<String> NOT_BOOLEANS = List.of("\"true\"", "\"false\"", "0", "1", "null", "\"yes\"", "[]", "{}",
            "[true]");
    /** min_disk / min_ram: negative, fractional, too big for a long, or not numbers. */
    static final List<String> NOT_COUNTS = List.of("\"1\"", "1.5", "1e30", "9223372036854775808", "-1",
            "-9223372036854775809", "true", "null", "[]", "{}", "\"1e3\"", "-0.5", "99999999999999999999999999",
            "[1]");
    static final List<String> NOT_VISIBILITIES = List.of("\"PUBLIC\"", "\"publicx\"", "\"\"", "\" private\"",
            "\"all\"", "null", "1", "true", "[\"private\"]", "{}");
    static final List<String> NOT_DISK_FORMATS = List.of("\"RAW\"", "\"raw \"", "\"\"", "\"qcow3\"", "\"raw\\u0000\"",
            "1", "true", "[\"raw\"]", "{}");
    static final List<String> NOT_CONTAINER_FORMATS = List.of("\"BARE\"", "\"bare \"", "\"\"", "\"tar\"", "1",
            "false", "[\"bare\"]", "{}");
    static final List<String> NOT_TAG_LISTS = List.of("\"alpha\"", "1", "{}", "null", "true", "[1]", "[null]",
            "[[\"a\"]]", "[{}]", "[\"ok\", 2]", "[" + LONG_256 + "]", "[\"\\ud800\"]", "[\"ok\", \"\\udc00\"]");
    static final List<String> NOT_IDS = List.of("\"not-a-uuid\"", "1", "null", "\"1234\"", "true", "[]", "{}",
            "\"0c7b4b3c-0a9e-4f4e-9a5b-3c2d1e0f9a8\"", "\"0c7b4b3c-0a9e-4f4e-9a5b-3c2d1e0f9a8bx\"",
            "\"{0c7b4b3c-0a9e-4f4e-9a5b-3c2d1e0f9a8b}\"", "\"0c7b4b3c0a9e4f4e9a5b3c2d1e0f9a8b\"",
            "\"../../etc/passwd\"", "\"0c7b4b3c-0a9e-4f4e-9a5b-3c2d1e0f9a8b\\u0000\"");

    /** A core property and the wrong values for it, as JSON text. */
    record Field(String name, List<String> wrong) {}

    static List<Field> coreFields(boolean create) {
        List<String> strings = new ArrayList<>(NOT_STRINGS);
        strings.addAll(LONE_SURROGATES);
        strings.add(LONG_256);
        List<String> owner = new ArrayList<>(strings);
        List<Field> out = new ArrayList<>(List.of(
                new Field("name", strings),
                new Field("owner", owner),
                new Field("visibility", NOT_VISIBILITIES),
                new Field("protected", NOT_BOOLEANS),
                new Field("os_hidden", NOT_BOOLEANS),
                new Field("min_disk", NOT_COUNTS),
                new Field("min_ram", NOT_COUNTS),
                new Field("disk_format", NOT_DISK_FORMATS),
                new Field("container_format", NOT_CONTAINER_FORMATS),
                new Field("tags", NOT_TAG_LISTS)));
        List<String> extra = new ArrayList<>(NOT_STRINGS);
        extra.addAll(LONE_SURROGATES);
        extra.add("null");
        extra.add(quote("v".repeat(65536)));
        out.add(new Field("fuzz_prop", extra));
        out.add(new Field("kernel_id", List.of("\"abc\"", "1", "\"\\ud800\"", "[]", "\"0c7b4b3c\"")));
        out.add(new Field("cinder_encryption_key_deletion_policy", List.of("\"never\"", "1", "null")));
        if (create) out.add(new Field("id", NOT_IDS));
        return out;
    }

    /** A field with one of its wrong values. */
    static Arbitrary<String[]> wrongField(boolean create) {
        return Arbitraries.of(coreFields(create)).flatMap(f -> Arbitraries.of(f.wrong()).map(v -> new String[] {f.name(), v}));
    }

    /** Valid members that may accompany a bad one in a create body. */
    static final List<String> VALID_CREATE_MEMBERS = List.of("\"name\": \"ok\"", "\"disk_format\": \"raw\"",
            "\"container_format\": \"bare\"", "\"min_ram\": 0", "\"tags\": [\"t1\"]", "\"os_distro\": \"fedora\"",
            "\"protected\": false");

    static Arbitrary<Probe> wrongTypesInCreate() {
        return Combinators.combine(wrongField(true), Arbitraries.of(VALID_CREATE_MEMBERS).list().ofMaxSize(3).uniqueElements(),
                Arbitraries.integers().between(0, 3), accepts(), Arbitraries.of(Who.OWNER, Who.ADMIN))
                .as((field, others, at, accept, who) -> {
                    List<String> members = new ArrayList<>(others);
                    members.add(Math.min(at, members.size()), quote(field[0]) + ": " + field[1]);
                    String body = "{" + String.join(", ", members) + "}";
                    return Probe.of("wrong type in create: " + field[0]).request("POST", "/v2/images")
                            .header("Content-Type", "application/json").body(body).accept(accept).as(who).expect(400);
                });
    }

    static Arbitrary<Probe> wrongTypesInPatch(BadInputTarget t) {
        return Combinators.combine(wrongField(false), Arbitraries.of("add", "replace"), Arbitraries.of(t.images()),
                Arbitraries.of(true, false), accepts(), Arbitraries.of(Who.OWNER, Who.ADMIN))
                .as((field, op, image, prefixed, accept, who) -> {
                    String bad = "{\"op\": \"" + op + "\", \"path\": \"/" + field[0] + "\", \"value\": " + field[1] + "}";
                    String body = "[" + (prefixed ? VALID_OP + ", " : "") + bad + "]";
                    return patch("wrong type in patch: " + field[0], image, body).accept(accept).as(who).expect(400);
                });
    }

    static final String VALID_OP = "{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"renamed\"}";

    static Probe patch(String label, String image, String body) {
        return Probe.of(label).request("PATCH", "/v2/images/" + image)
                .header("Content-Type", BadInputTarget.PATCH_V21).body(body);
    }

    // ------------------------------------------------------------------ read-only, reserved, unknown

    static final List<String> GENERATED = List.of("direct_url", "self", "file", "schema", "stores");
    static final List<String> READ_ONLY_AT_CREATE = List.of("status", "checksum", "size", "virtual_size", "created_at",
            "updated_at", "os_hash_algo", "os_hash_value", "locations");
    static final List<String> RESERVED = List.of("location", "deleted", "deleted_at", "os_glance_import_task",
            "os_glance_failed_import", "os_glance", "os_glancex");

    /** A create body with one attribute the client may not send: 403 (or 400 for schema violations first). */
    static Arbitrary<Probe> forbiddenFieldsInCreate() {
        Arbitrary<String[]> member = Arbitraries.oneOf(
                Arbitraries.of(GENERATED).flatMap(k -> Arbitraries.of("\"x\"", "1", "null", "[]")
                        .map(v -> new String[] {k, v, "403"})),
                Arbitraries.of(READ_ONLY_AT_CREATE).flatMap(k -> Arbitraries.of("\"x\"", "1", "null")
                        .map(v -> new String[] {k, v, "403"})),
                Arbitraries.of(RESERVED).map(k -> new String[] {k, "\"x\"", "403"}),
                Arbitraries.of(RESERVED).flatMap(k -> Arbitraries.of(NOT_STRINGS).map(v -> new String[] {k, v, "400"})),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(256).ofMaxLength(400)
                        .map(k -> new String[] {k, "\"x\"", "400"}),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(3).ofMaxLength(12)
                        .filter(k -> !isKnown(k))
                        .flatMap(k -> Arbitraries.of(NOT_STRINGS).map(v -> new String[] {k, v, "400"})),
                Arbitraries.of(LONE_SURROGATES).map(k -> new String[] {k.substring(1, k.length() - 1), "\"x\"", "400"}));
        return Combinators.combine(member, accepts(), Arbitraries.of(Who.OWNER, Who.ADMIN)).as((m, accept, who) -> {
            String key = m[0].startsWith("\\u") || m[0].contains("\\u") ? "\"" + m[0] + "\"" : quote(m[0]);
            return Probe.of("forbidden or unknown attribute in create: " + shorten(m[0]))
                    .request("POST", "/v2/images").header("Content-Type", "application/json")
                    .body("{\"name\": \"n\", " + key + ": " + m[1] + "}").accept(accept).as(who)
                    .expect(Integer.parseInt(m[2]));
        });
    }

    /** Names with rules of their own: not "unknown". */
    private static boolean isKnown(String k) {
        return Formats.CORE.contains(k) || Formats.isReserved(k);
    }

    static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + ")" : s;
    }

    // ------------------------------------------------------------------ malformed JSON

    /** Templates of each JSON endpoint's body with a marker inside a string literal. */
    record JsonTarget(String label, String method, String path, Who who, String template, String contentType) {}

    static final String MARK = "\u00a7MARK\u00a7";

    static List<JsonTarget> jsonTargets(BadInputTarget t) {
        List<JsonTarget> out = new ArrayList<>();
        for (Who who : List.of(Who.OWNER, Who.ADMIN)) {
            out.add(new JsonTarget("create", "POST", "/v2/images", who,
                    "{\"name\": \"n" + MARK + "m\", \"tags\": [\"t\"], \"disk_format\": \"raw\"}", "application/json"));
            for (String image : t.images()) {
                out.add(new JsonTarget("patch", "PATCH", "/v2/images/" + image, who,
                        "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"v" + MARK + "v\"}]",
                        BadInputTarget.PATCH_V21));
            }
        }
        out.add(new JsonTarget("add member", "POST", "/v2/images/" + t.shared + "/members", Who.OWNER,
                "{\"member\": \"p" + MARK + "q\"}", "application/json"));
        out.add(new JsonTarget("update member", "PUT", "/v2/images/" + t.shared + "/members/" + BadInputTarget.MEMBER,
                Who.MEMBER, "{\"status\": \"accepted" + MARK + "\"}", "application/json"));
        out.add(new JsonTarget("import", "POST", "/v2/images/" + t.queued + "/import", Who.OWNER,
                "{\"method\": {\"name\": \"glance-direct\", \"x\": \"" + MARK + "\"}}", "application/json"));
        return out;
    }

    /** Bytes that are not UTF-8: stray continuations, overlongs, encoded surrogates, beyond U+10FFFF, truncations. */
    static final List<byte[]> NOT_UTF8 = List.of(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFE},
            new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0xAE},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, new byte[] {(byte) 0xC3},
            new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xC3, (byte) 0x28});
    /** Text that breaks a JSON string literal from inside. */
    static final List<String> BAD_ESCAPES = List.of("\\x", "\\u12", "\\u12G4", "\\", "\\\n", "\u0001", "\n", "\t",
            "\\U0041", "\\'", "\\0");
    /** Text that ends a document too early or continues it after its end. */
    static final List<String> TRAILERS = List.of("x", "}", "]", ",", "{}", "[]", "\"", " 1", " null", "\u0000", "//c",
            "/* c */");
    /** Whole documents that are not JSON (or not one JSON value). */
    static final List<String> NOT_JSON = List.of("", " ", "\r\n", "{", "[", "{'name': 'x'}", "{name: \"x\"}",
            "{\"name\": \"x\",}", "[{\"op\": \"add\"},]", "{\"min_ram\": 01}", "{\"min_ram\": +1}", "{\"min_ram\": .5}",
            "{\"min_ram\": 0x10}", "{\"min_ram\": NaN}", "{\"min_ram\": Infinity}", "{\"min_ram\": -Infinity}",
            "{\"name\": \"x\"} {\"name\": \"y\"}", "/* c */ {\"name\": \"x\"}", "{\"name\": \"x\" // c\n}",
            "{\"name\" \"x\"}", "{\"name\": \"x\" \"tags\": []}", "{\"name\": undefined}", "{\"a\": 1, \"a\": 2}",
            "{\"name\": \"x\", \"name\": \"x\"}", "[{\"op\": \"add\", \"op\": \"replace\", \"path\": \"/name\", \"value\": \"x\"}]",
            "nul", "tru", "\"unterminated", "{\"name\": \"x\"}}", "[[]]]");

    static Arbitrary<Probe> malformedJson(BadInputTarget t) {
        Arbitrary<JsonTarget> targets = Arbitraries.of(jsonTargets(t));
        Arbitrary<byte[]> inStringBad = Arbitraries.oneOf(Arbitraries.of(NOT_UTF8), Arbitraries.of(BAD_ESCAPES).map(BadInputs::utf8));
        Arbitrary<Mutation> mutation = Arbitraries.oneOf(
                inStringBad.map(b -> (Mutation) tpl -> splice(tpl, b)),
                Arbitraries.of(TRAILERS).map(tr -> (Mutation) tpl -> utf8(fill(tpl) + tr)),
                Arbitraries.integers().between(1, 1000).map(cut -> (Mutation) tpl -> truncate(fill(tpl), cut)),
                Arbitraries.of(NOT_JSON).map(doc -> (Mutation) tpl -> utf8(doc)),
                Combinators.combine(Arbitraries.integers().between(65, 10_000), Arbitraries.of(true, false))
                        .as((depth, arrays) -> (Mutation) tpl -> utf8(deep(tpl, depth, arrays))),
                Arbitraries.integers().between(1, 5).map(n -> (Mutation) tpl -> utf8(duplicateKey(fill(tpl), n))));
        return Combinators.combine(targets, mutation, accepts()).as((jt, m, accept) -> {
            byte[] body = m.apply(jt.template());
            return Probe.of("malformed JSON for " + jt.label()).request(jt.method(), jt.path())
                    .header("Content-Type", jt.contentType()).body(body).accept(accept).as(jt.who()).expect(400);
        });
    }

    interface Mutation {
        byte[] apply(String template);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String fill(String template) {
        return template.replace(MARK, "ok");
    }

    static byte[] splice(String template, byte[] inside) {
        int at = template.indexOf(MARK);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(utf8(template.substring(0, at)));
        out.writeBytes(inside);
        out.writeBytes(utf8(template.substring(at + MARK.length())));
        return out.toByteArray();
    }

    /** A strict prefix of the document, never whitespace-only-trimmed into a complete one. */
    static byte[] truncate(String doc, int cut) {
        int keep = Math.max(1, doc.length() - 1 - (cut % (doc.length() - 1)));
        return utf8(doc.substring(0, keep));
    }

    /** The marked string value replaced by {@code depth} nested arrays or objects (the limit is 64). */
    static String deep(String template, int depth, boolean arrays) {
        StringBuilder b = new StringBuilder(depth * 6);
        for (int i = 0; i < depth; i++) b.append(arrays ? "[" : "{\"a\":");
        b.append("1");
        for (int i = 0; i < depth; i++) b.append(arrays ? "]" : "}");
        int at = template.indexOf(MARK);
        int open = template.lastIndexOf('"', at);
        int close = template.indexOf('"', at);
        return template.substring(0, open) + b + template.substring(close + 1);
    }

    /** The first member of the first object repeated: duplicate keys. */
    static String duplicateKey(String doc, int copies) {
        int brace = doc.indexOf('{');
        int colon = doc.indexOf(':', brace);
        int end = doc.indexOf(',', colon);
        int close = doc.indexOf('}', colon);
        if (end < 0 || (close >= 0 && close < end)) end = close;
        String member = doc.substring(brace + 1, end);
        return doc.substring(0, brace + 1) + (member + ", ").repeat(copies) + doc.substring(brace + 1);
    }

    // ------------------------------------------------------------------ bad patch documents

    /** A bad operation and the status it earns (400 structure, 403 read-only / reserved / locations). */
    record BadOp(String json, int status) {}

    static final List<String> READ_ONLY_PATHS = List.of("created_at", "updated_at", "status", "checksum", "size",
            "virtual_size", "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value", "stores");

    static List<BadOp> badOps() {
        List<BadOp> out = new ArrayList<>();
        for (String doc : List.of("1", "\"x\"", "null", "true", "{}", "{\"op\": \"add\", \"path\": \"/name\", \"value\": \"x\"}")) {
            out.add(new BadOp("DOC:" + doc, 400));
        }
        for (String el : List.of("1", "\"add\"", "null", "[]", "[{\"op\": \"add\"}]", "true")) out.add(new BadOp(el, 400));
        out.add(new BadOp("{\"path\": \"/name\", \"value\": \"x\"}", 400));
        for (String op : List.of("test", "move", "copy", "ADD", "Replace", "", " add", "add ", "delete", "remove-all")) {
            out.add(new BadOp("{\"op\": " + quote(op) + ", \"path\": \"/name\", \"value\": \"x\", \"from\": \"/name\"}", 400));
        }
        for (String op : List.of("1", "null", "true", "[\"add\"]", "{}")) {
            out.add(new BadOp("{\"op\": " + op + ", \"path\": \"/name\", \"value\": \"x\"}", 400));
        }
        out.add(new BadOp("{\"op\": \"replace\", \"value\": \"x\"}", 400));
        for (String path : List.of("1", "null", "[\"/name\"]", "{}", "true")) {
            out.add(new BadOp("{\"op\": \"replace\", \"path\": " + path + ", \"value\": \"x\"}", 400));
        }
        for (String path : List.of("name", "", "/", "//", "//x", "/name/", "/a~2b", "/a~", "~0name", "/na~me",
                "/name/x", "/tags/0", "/a/b/c", "/min_ram/0", "/name//", " /name", "/locations", "/locations/0/url")) {
            String op = path.equals("/locations") ? "add" : "replace";
            out.add(new BadOp("{\"op\": \"" + op + "\", \"path\": " + quote(path) + ", \"value\": \"x\"}", 400));
        }
        for (String op : List.of("add", "replace")) {
            out.add(new BadOp("{\"op\": \"" + op + "\", \"path\": \"/name\"}", 400));
            out.add(new BadOp("{\"op\": \"" + op + "\", \"path\": \"/os_distro\"}", 400));
        }
        for (String p : READ_ONLY_PATHS) {
            out.add(new BadOp("{\"op\": \"replace\", \"path\": \"/" + p + "\", \"value\": \"x\"}", 403));
            out.add(new BadOp("{\"op\": \"remove\", \"path\": \"/" + p + "\"}", 403));
        }
        for (String p : RESERVED) {
            out.add(new BadOp("{\"op\": \"add\", \"path\": \"/" + p + "\", \"value\": \"x\"}", 403));
        }
        out.add(new BadOp("{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"file:///etc/passwd\", \"metadata\": {}}}", 403));
        out.add(new BadOp("{\"op\": \"add\", \"path\": \"/locations/0\", \"value\": {\"url\": \"http://x/y\", \"metadata\": {}}}", 403));
        out.add(new BadOp("{\"op\": \"remove\", \"path\": \"/locations/0\"}", 403));
        out.add(new BadOp("{\"op\": \"replace\", \"path\": \"/locations\", \"value\": []}", 403));
        out.add(new BadOp("{\"op\": \"replace\", \"path\": \"/" + "k".repeat(256) + "\", \"value\": \"x\"}", 400));
        return out;
    }

    static Arbitrary<Probe> badPatchDocuments(BadInputTarget t) {
        return Combinators.combine(Arbitraries.of(badOps()), Arbitraries.of(t.images()), Arbitraries.integers().between(0, 2),
                Arbitraries.of(true, false), accepts(), Arbitraries.of(Who.OWNER, Who.ADMIN))
                .as((op, image, before, after, accept, who) -> {
                    String body;
                    if (op.json().startsWith("DOC:")) {
                        body = op.json().substring(4);
                    } else {
                        List<String> ops = new ArrayList<>(Collections.nCopies(before, VALID_OP));
                        ops.add(op.json());
                        if (after) ops.add("{\"op\": \"add\", \"path\": \"/os_distro\", \"value\": \"fedora\"}");
                        body = "[" + String.join(", ", ops) + "]";
                    }
                    return patch("bad patch document", image, body).accept(accept).as(who).expect(op.status());
                });
    }

    /** Patches that are well formed but that the image's state refuses: the state machine answers. */
    static Arbitrary<Probe> refusedPatches(BadInputTarget t) {
        List<String[]> cases = new ArrayList<>();
        for (String image : t.images()) {
            for (String core : List.of("name", "tags", "visibility", "min_ram", "disk_format", "owner", "protected")) {
                cases.add(new String[] {image, "{\"op\": \"remove\", \"path\": \"/" + core + "\"}", "403"});
            }
            cases.add(new String[] {image, "{\"op\": \"remove\", \"path\": \"/absent_prop\"}", "409"});
            cases.add(new String[] {image, "{\"op\": \"replace\", \"path\": \"/absent_prop\", \"value\": \"x\"}", "409"});
        }
        for (String image : List.of(t.active, t.deactivated, t.shared)) {
            cases.add(new String[] {image, "{\"op\": \"replace\", \"path\": \"/disk_format\", \"value\": \"qcow2\"}", "403"});
            cases.add(new String[] {image, "{\"op\": \"replace\", \"path\": \"/container_format\", \"value\": \"ovf\"}", "403"});
        }
        cases.add(new String[] {t.queued, "{\"op\": \"replace\", \"path\": \"/owner\", \"value\": \"someone-else\"}", "403"});
        cases.add(new String[] {t.queued, "{\"op\": \"replace\", \"path\": \"/visibility\", \"value\": \"public\"}", "403"});
        return Combinators.combine(Arbitraries.of(cases), Arbitraries.of(true, false), accepts()).as((c, prefixed, accept) ->
                patch("patch refused by the image's state", c[0], "[" + (prefixed ? VALID_OP + ", " : "") + c[1] + "]")
                        .accept(accept).as(Who.OWNER).expect(Integer.parseInt(c[2])).stateMachineMayReject());
    }

    // ------------------------------------------------------------------ ids in paths

    /** Pieces of path segments that look like traversal or are otherwise no id (URI-legal, no raw '/'). */
    static final List<String> NASTY_PIECES = List.of("..", ".", "%2e%2e", "%2E%2E", "%2e", "%2f", "%2F", "%5c", "%5C",
            "\\", "%00", "%252e%252e", "%252f", "%25", "%", "%zz", "%g0", "%ff", "%c0%af", "%c0%ae", "%e0%80%af",
            "%ed%a0%80", "etc", "passwd", "~", "'", "\"", "<", ">", "{", "}", "|", "^", "`", "$", "%20", "+", ";", ":",
            "@", "=", "&", ",", "!", "*", "(", ")", "[", "]", "0", "-", "_", "%0a", "%0d", "%7f", "..;", "%c3%a9",
            "%3f", "%23", "%u002e", "..%00", "%%32%65", "deadbeef", "ffffffff-ffff-ffff-ffff-fffffffffff");

    /** A path segment that is no image id: traversal-looking pieces, or a real id with something added. */
    static Arbitrary<String> nastyIds(BadInputTarget t) {
        Arbitrary<String> pieces = Arbitraries.of(NASTY_PIECES).list().ofMinSize(1).ofMaxSize(6).map(l -> String.join("", l));
        Arbitrary<String> mutatedReal = Combinators.combine(Arbitraries.of(t.images()), Arbitraries.of(NASTY_PIECES),
                Arbitraries.integers().between(0, 5)).as((id, piece, how) -> {
                    switch (how) {
                        case 0: return id + piece;
                        case 1: return piece + id;
                        case 2: return id.substring(0, 18) + piece + id.substring(18);
                        case 3: return id.substring(0, 35);
                        case 4: return "urn:uuid:" + id;
                        default: return id.replace("-", "");
                    }
                });
        return Arbitraries.oneOf(pieces, pieces, mutatedReal);
    }

    /** Every route with an image id, with a body it accepts. */
    record Route(String method, String suffix, String contentType, String body) {}

    static final List<Route> IMAGE_ROUTES = List.of(
            new Route("GET", "", null, null),
            new Route("PATCH", "", BadInputTarget.PATCH_V21, "[" + VALID_OP + "]"),
            new Route("DELETE", "", null, null),
            new Route("GET", "/file", null, null),
            new Route("PUT", "/file", "application/octet-stream", "some image bytes"),
            new Route("PUT", "/stage", "application/octet-stream", "some image bytes"),
            new Route("POST", "/import", "application/json", "{\"method\": {\"name\": \"glance-direct\"}}"),
            new Route("PUT", "/tags/t1", null, null),
            new Route("DELETE", "/tags/alpha", null, null),
            new Route("POST", "/actions/deactivate", null, null),
            new Route("POST", "/actions/reactivate", null, null),
            new Route("GET", "/members", null, null),
            new Route("POST", "/members", "application/json", "{\"member\": \"someone\"}"),
            new Route("GET", "/members/" + BadInputTarget.MEMBER, null, null),
            new Route("PUT", "/members/" + BadInputTarget.MEMBER, "application/json", "{\"status\": \"accepted\"}"),
            new Route("DELETE", "/members/" + BadInputTarget.MEMBER, null, null),
            new Route("GET", "/tasks", null, null));

    static Arbitrary<Probe> invalidImageIds(BadInputTarget t) {
        return Combinators.combine(Arbitraries.of(IMAGE_ROUTES), nastyIds(t), accepts(), Arbitraries.of(Who.values()))
                .as((r, id, accept, who) -> {
                    Probe p = Probe.of("no image id: " + r.method() + " {id}" + r.suffix())
                            .request(r.method(), "/v2/images/" + id + r.suffix()).accept(accept).as(who).expect(404);
                    if (r.contentType() != null) p.header("Content-Type", r.contentType());
                    if (r.body() != null) p.body(r.body());
                    return p;
                });
    }

    /** Nasty member ids and tags on real images: nothing matches them. */
    static Arbitrary<Probe> nastyMembersAndTags(BadInputTarget t) {
        Arbitrary<String> nasty = Arbitraries.of(NASTY_PIECES).list().ofMinSize(1).ofMaxSize(6).map(l -> String.join("", l));
        return Combinators.combine(nasty, Arbitraries.integers().between(0, 4), accepts()).as((n, which, accept) -> {
            String shared = "/v2/images/" + t.shared;
            switch (which) {
                case 0:
                    return Probe.of("nasty member id: GET").request("GET", shared + "/members/" + n).accept(accept).expect(404);
                case 1:
                    return Probe.of("nasty member id: DELETE").request("DELETE", shared + "/members/" + n).accept(accept)
                            .expect(404).stateMachineMayReject();
                case 2:
                    return Probe.of("nasty member id: PUT as the member").request("PUT", shared + "/members/" + n)
                            .header("Content-Type", "application/json").body("{\"status\": \"accepted\"}")
                            .accept(accept).as(Who.MEMBER).expect(403, 404).stateMachineMayReject();
                case 3:
                    return Probe.of("nasty member id: PUT as the owner").request("PUT", shared + "/members/" + n)
                            .header("Content-Type", "application/json").body("{\"status\": \"accepted\"}")
                            .accept(accept).as(Who.OWNER).expect(403, 404).stateMachineMayReject();
                default:
                    return Probe.of("nasty tag: DELETE").request("DELETE", "/v2/images/" + t.queued + "/tags/" + n)
                            .accept(accept).expect(404).stateMachineMayReject();
            }
        });
    }

    /** Bodies of POST members that name no valid member. */
    static final List<String> BAD_MEMBER_BODIES = List.of("{}", "{\"member\": \"\"}", "{\"member\": \"  \"}",
            "{\"member\": 1}", "{\"member\": null}", "{\"member\": [\"p\"]}", "{\"member\": {}}", "{\"member\": \"\\ud800\"}",
            "{\"member\": \"a\\udc00\"}", "{\"member\": \"p\\u0000q\"}", "{\"member\": " + quote("m".repeat(256)) + "}",
            "[\"p\"]", "\"p\"", "{\"members\": \"p\"}");
    static final List<String> BAD_MEMBER_STATUS_BODIES = List.of("{}", "{\"status\": \"ACCEPTED\"}",
            "{\"status\": \"yes\"}", "{\"status\": 1}", "{\"status\": null}", "{\"status\": [\"accepted\"]}",
            "{\"status\": \"accepted\\ud800\"}", "[\"accepted\"]", "\"accepted\"", "{\"status\": \"\"}");

    static Arbitrary<Probe> badMemberBodies(BadInputTarget t) {
        Arbitrary<Probe> add = Combinators.combine(Arbitraries.of(BAD_MEMBER_BODIES), accepts()).as((b, accept) ->
                Probe.of("bad member body").request("POST", "/v2/images/" + t.shared + "/members")
                        .header("Content-Type", "application/json").body(b).accept(accept).as(Who.OWNER)
                        .expect(400).stateMachineMayReject());
        Arbitrary<Probe> update = Combinators.combine(Arbitraries.of(BAD_MEMBER_STATUS_BODIES), accepts()).as((b, accept) ->
                Probe.of("bad member status body").request("PUT", "/v2/images/" + t.shared + "/members/" + BadInputTarget.MEMBER)
                        .header("Content-Type", "application/json").body(b).accept(accept).as(Who.MEMBER).expect(400));
        return Arbitraries.oneOf(add, update);
    }

    // ------------------------------------------------------------------ Range, Content-Type, list

    /** A Range header and its status: 400 for several ranges, 416 for anything else unusable. */
    static Arbitrary<String[]> badRanges(long sizeBytes) {
        int size = (int) sizeBytes;
        Arbitrary<String[]> unit = Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_').ofMinLength(1).ofMaxLength(8)
                        .filter(u -> !u.equalsIgnoreCase("bytes")),
                Arbitraries.of("0-10", "-5", "0-", "1-1")).as((u, r) -> new String[] {u + "=" + r, "416"});
        Arbitrary<String[]> reversed = Arbitraries.integers().between(1, size - 1)
                .flatMap(a -> Arbitraries.integers().between(0, a - 1).map(b -> new String[] {"bytes=" + a + "-" + b, "416"}));
        Arbitrary<String[]> beyond = Combinators.combine(Arbitraries.longs().between(size, Long.MAX_VALUE),
                Arbitraries.of(true, false)).as((a, open) -> new String[] {"bytes=" + a + "-" + (open ? "" : a), "416"});
        Arbitrary<String[]> huge = Arbitraries.strings().numeric().ofMinLength(20).ofMaxLength(40)
                .filter(s -> s.charAt(0) != '0').map(s -> new String[] {"bytes=" + s + "-", "416"});
        Arbitrary<String[]> garbage = Arbitraries.of("bytes=", "bytes=-", "bytes=--", "bytes=-0", "bytes=-00",
                "bytes=a-b", "bytes=1-a", "bytes=a-1", "bytes=0x1-2", "bytes=+1-2", "bytes=1-+2", "bytes=1-2-3",
                "bytes=--1", "bytes=-1-2", "bytes=1.5-2", "bytes==0-1", "bytes", "bytes 0-1", "bytes:0-1", "=0-1",
                "0-1", "-", "bytes=\u0661-\u0662", "bytes=\u00bd-", "items=0-1", "bytes=0-1;x", "bytes=1e3-").map(r -> new String[] {r, "416"});
        Arbitrary<String[]> multiple = Arbitraries.of("0-1", "2-3", "-5", "7-", "a-b", "", "99999-")
                .list().ofMinSize(2).ofMaxSize(5).map(l -> new String[] {"bytes=" + String.join(",", l), "400"});
        return Arbitraries.oneOf(unit, reversed, beyond, huge, garbage, multiple);
    }

    static Arbitrary<Probe> badRangeDownloads(BadInputTarget t) {
        return Combinators.combine(badRanges(t.activeData.length), accepts(), Arbitraries.of(Who.OWNER, Who.ADMIN))
                .as((r, accept, who) -> Probe.of("bad Range").request("GET", "/v2/images/" + t.active + "/file")
                        .header("Range", r[0]).accept(accept).as(who).expect(Integer.parseInt(r[1])));
    }

    static final List<String> MEDIA_TYPES = List.of("application/json", "text/plain", "application/octet-streams",
            "application/octetstream", "octet-stream", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch",
            "application/octet-stream/x", "application/octet-stream+json", "", "*/*", "application/*",
            "application/json-patch+json", "application/merge-patch+json", "application/openstack-images-v2.2-json-patch",
            "application/openstack-images-v2.1-json-patchx", "application", "/", ";", "application/octet-stream,text/plain",
            "x-application/octet-stream");

    static Arbitrary<String> contentTypesOtherThan(String... accepted) {
        Arbitrary<String> random = Arbitraries.strings().ofMinLength(1).ofMaxLength(40)
                .withCharRange('!', '~');
        return Arbitraries.oneOf(Arbitraries.of(MEDIA_TYPES), random).filter(ct -> {
            String media = ct.split(";", -1)[0].trim().toLowerCase(Locale.ROOT);
            for (String a : accepted) if (media.equals(a)) return false;
            return true;
        });
    }

    static Arbitrary<Probe> badContentTypes(BadInputTarget t) {
        Arbitrary<Probe> upload = Combinators.combine(contentTypesOtherThan("application/octet-stream"),
                Arbitraries.of("/file", "/stage"), Arbitraries.of(t.queued, t.active), Arbitraries.of(true, false), accepts())
                .as((ct, where, image, missing, accept) -> {
                    Probe p = Probe.of("bad Content-Type on PUT " + where).request("PUT", "/v2/images/" + image + where)
                            .body("0123456789").accept(accept).expect(415);
                    if (!missing) p.header("Content-Type", ct);
                    return p;
                });
        Arbitrary<Probe> patch = Combinators.combine(contentTypesOtherThan(BadInputTarget.PATCH_V21,
                        "application/openstack-images-v2.0-json-patch"), Arbitraries.of(t.images()), Arbitraries.of(true, false), accepts())
                .as((ct, image, missing, accept) -> {
                    Probe p = Probe.of("bad Content-Type on PATCH").request("PATCH", "/v2/images/" + image)
                            .body("[" + VALID_OP + "]").accept(accept).expect(415).requireHeaderOnError("Accept-Patch");
                    if (!missing) p.header("Content-Type", ct);
                    return p;
                });
        return Arbitraries.oneOf(upload, patch);
    }

    /** Query strings of GET /v2/images that Glance refuses with 400 (spec §4.3). */
    static List<String> badListQueries() {
        List<String> out = new ArrayList<>();
        for (String v : List.of("-1", "abc", "1.5", "", "0x10", "1e3", "+-1", "%20", "--1", "1%2C2"))
            out.add("limit=" + v);
        for (String v : List.of("00000000-0000-0000-0000-000000000000", "not-a-uuid", "..%2f..%2fetc", "%00",
                "0c7b4b3c-0a9e-4f4e-9a5b-3c2d1e0f9a8b"))
            out.add("marker=" + v);
        for (String v : List.of("nope", "size%00", "name;", "NAME", "", "owner,nope"))
            out.add("sort_key=" + v);
        for (String v : List.of("up", "ASC1", "descending", "", "asc%00")) out.add("sort_key=name&sort_dir=" + v);
        out.add("sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc");
        for (String v : List.of("name:up", "nope:asc", "name:asc,bad", "name:asc:desc", ":asc", "name:%00"))
            out.add("sort=" + v);
        out.add("sort=name&sort_key=name");
        out.add("sort=name&sort_dir=asc");
        for (String v : List.of("bogus", "PUBLIC", "", "%00", "all%2C"))
            out.add("visibility=" + v);
        for (String v : List.of("bogus", "ACCEPTED", ""))
            out.add("member_status=" + v);
        for (String v : List.of("maybe", "1", "", "yes"))
            out.add("os_hidden=" + v);
        for (String v : List.of("maybe", "True", "1", ""))
            out.add("protected=" + v);
        for (String k : List.of("size_min", "size_max", "min_ram", "min_disk"))
            for (String v : List.of("abc", "1.5", "", "99999999999999999999999", "1e3"))
                out.add(k + "=" + v);
        for (String k : List.of("created_at", "updated_at"))
            for (String v : List.of("garbage", "gte:garbage", "lt", "gt:2020-13-45T00:00:00Z", "between:2020-01-01T00:00:00Z",
                    "gte:", "ne:2020-01-01T00:00:00Z"))
                out.add(k + "=" + v);
        for (String k : List.of("name", "status", "id", "disk_format", "container_format"))
            for (String v : List.of("foo:bar", "in:\"unclosed", "in:\"a\"b", "in:a\"b", "neq:x", "gt:1"))
                out.add(k + "=" + v);
        out.add("changes-since=2020-01-01T00:00:00Z");
        for (String v : List.of("%zz", "%", "%g1", "%2", "a%", "%%", "%u0041"))
            for (String k : List.of("limit=", "name=", "", "marker="))
                out.add(k + v);
        return out;
    }

    static Arbitrary<Probe> badListQueries(BadInputTarget t) {
        return Combinators.combine(Arbitraries.of(badListQueries()), Arbitraries.of("", "limit=2&", "name=queued&"),
                accepts(), Arbitraries.of(Who.values())).as((q, prefix, accept, who) ->
                Probe.of("bad list query").request("GET", "/v2/images?" + prefix + q).accept(accept).as(who).expect(400));
    }

    // ------------------------------------------------------------------ oversized heads

    static Arbitrary<Probe> oversizedHeads() {
        Arbitrary<Probe> bigHeader = Combinators.combine(Arbitraries.integers().between(16 * 1024 + 1, 80 * 1024),
                Arbitraries.of("X-Junk", "Accept-Language", "Cookie", "X-Auth-Token", "User-Agent"), accepts())
                .as((n, name, accept) -> Probe.of("header of " + n + " bytes").request("GET", "/v2/images")
                        .header(name, "a".repeat(n)).accept(accept).expect(431).headUnread());
        Arbitrary<Probe> manyHeaders = Combinators.combine(Arbitraries.integers().between(700, 3000), accepts())
                .as((n, accept) -> {
                    Probe p = Probe.of(n + " headers").request("GET", "/v2/images").accept(accept).expect(431).headUnread();
                    for (int i = 0; i < n; i++) p.header("X-H" + i, "v".repeat(20));
                    return p;
                });
        Arbitrary<Probe> longLine = Combinators.combine(Arbitraries.integers().between(8 * 1024 + 1, 40 * 1024),
                Arbitraries.of("/v2/images?name=", "/v2/images/", "/versions?x="), accepts())
                .as((n, prefix, accept) -> Probe.of("request line of " + n + " bytes")
                        .request("GET", prefix + "x".repeat(n)).accept(accept).expect(414).headUnread());
        Arbitrary<Probe> requestId = Combinators.combine(Arbitraries.integers().between(65, 4000), accepts())
                .as((n, accept) -> Probe.of("request id of " + n + " chars").request("GET", "/v2/images")
                        .header("X-OpenStack-Request-ID", "r".repeat(n)).accept(accept).expect(431));
        return Arbitraries.oneOf(bigHeader, manyHeaders, longLine, requestId);
    }
}
