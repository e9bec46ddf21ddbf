package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.TestNode;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@link TestNode} per test class, driven over real HTTP. Gives an admin client (the noauth
 * default identity), the published schemas for validating every image and member document the
 * server returns (spec §4.15.1 S7, API-113), and a way to make an image active without the data
 * path: an upload lease begun and committed on the registry directly, as the upload handler would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiTestBase {
    TestNode node;
    ApiClient admin;
    private JsonNode imageSchema;
    private JsonNode memberSchema;

    @BeforeAll
    void startNode() throws Exception {
        node = newNode();
        admin = ApiClient.of(node.url());
    }

    /** The node this class runs against; classes that need the data path override this. */
    TestNode newNode() throws Exception {
        return new TestNode();
    }

    @AfterAll
    void stopNode() {
        if (node != null) node.close();
    }

    static String uuid() {
        return UUID.randomUUID().toString();
    }

    /** A project id unique to one test, so that tests in a class do not see each other's images. */
    static String project(String hint) {
        return hint + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    JsonNode imageSchema() {
        if (imageSchema == null) imageSchema = admin.get("/v2/schemas/image").expect(200).json();
        return imageSchema;
    }

    JsonNode memberSchema() {
        if (memberSchema == null) memberSchema = admin.get("/v2/schemas/member").expect(200).json();
        return memberSchema;
    }

    /** Spec S7: the image validates against the image schema once {@code self} is removed. */
    void assertValidImage(JsonNode image) {
        ObjectNode copy = image.deepCopy();
        copy.remove("self");
        List<String> errors = SchemaValidator.validate(imageSchema(), copy);
        assertTrue(errors.isEmpty(), () -> "image does not validate against /v2/schemas/image: " + errors
                + "\n" + image);
    }

    void assertValidMember(JsonNode member) {
        List<String> errors = SchemaValidator.validate(memberSchema(), member);
        assertTrue(errors.isEmpty(), () -> "member does not validate against /v2/schemas/member: " + errors
                + "\n" + member);
    }

    /** Creates an image through the API as {@code who} and validates the answer. */
    ObjectNode create(ApiClient who, String jsonBody) {
        ObjectNode img = who.create(jsonBody);
        assertValidImage(img);
        return img;
    }

    /**
     * Makes a queued image (with both formats set) active holding {@code data}, through the
     * registry: BeginUpload then CommitUpload with a one-chunk manifest. Returns the image.
     */
    Image activate(String imageId, byte[] data) {
        long now = System.currentTimeMillis();
        String lease = "lease-" + uuid();
        Result begun = await(new Command.BeginUpload(Identity.SYSTEM, now, imageId, UploadKind.UPLOAD, lease,
                "test-node", now + 60_000));
        assertTrue(begun.isOk(), () -> "BeginUpload: " + begun);
        ChunkManifest m = new ChunkManifest(imageId, List.of(new ChunkInfo(hex("SHA-256", data), data.length, 0)),
                data.length, hex("MD5", data), "sha512", hex("SHA-512", data));
        Result done = await(new Command.CommitUpload(now, imageId, lease, m, null, null));
        assertTrue(done.isOk(), () -> "CommitUpload: " + done);
        return done.value(Image.class);
    }

    Image activate(String imageId) {
        return activate(imageId, ("data of " + imageId).getBytes(StandardCharsets.UTF_8));
    }

    /** Creates an image directly in the registry with a chosen creation time (list tests). */
    Image createAt(long createdAtMillis, String owner, String name, Visibility vis, List<String> tags) {
        Result r = await(new Command.CreateImage(Identity.SYSTEM, createdAtMillis, uuid(), name, vis, false, false,
                owner, 0, 0, null, null, tags, Map.of()));
        assertTrue(r.isOk(), () -> "CreateImage: " + r);
        return r.value(Image.class);
    }

    Result await(Command c) {
        try {
            return node.registry.propose(c).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String hex(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // --- data path helpers (classes whose node serves the data routes) --------------------------

    static final String OCTET_STREAM = "application/octet-stream";
    private static final long POLL_BOUND_MILLIS = 20_000;

    /** {@code PUT /v2/images/{id}/{route}} ("file" or "stage") of {@code data} as application/octet-stream. */
    /** Formats that let an image take data. */
    static final String FORMATS = ApiClient.json("disk_format", "raw", "container_format", "bare");

    /** A new queued image of {@code who}, ready for data. */
    String queued(ApiClient who) {
        return create(who, FORMATS).get("id").asText();
    }

    /** A new image of {@code who}, made active by uploading {@code data} over HTTP. */
    String active(ApiClient who, byte[] data) {
        String id = queued(who);
        putData(who, id, "file", data).expect(204);
        return id;
    }

    static ApiClient.Resp putData(ApiClient who, String id, String route, byte[] data, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = OCTET_STREAM;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return who.sendBytes("PUT", "/v2/images/" + id + "/" + route, data, false, all);
    }

    /** Deterministic pseudo-random bytes. */
    static byte[] bytes(int count, long seed) {
        byte[] b = new byte[count];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    /** Polls {@code GET /v2/images/{id}} (bounded) until {@code done} holds; returns that image. */
    static JsonNode awaitImage(ApiClient who, String id, java.util.function.Predicate<JsonNode> done, String what) {
        return poll(() -> {
            ApiClient.Resp r = who.get("/v2/images/" + id);
            return r.status() == 200 && done.test(r.json()) ? r.json() : null;
        }, what + " (image " + id + ")");
    }

    static JsonNode awaitStatus(ApiClient who, String id, String status) {
        return awaitImage(who, id, i -> status.equals(i.get("status").asText()), "status " + status);
    }

    /** Calls {@code probe} until it returns non-null, at most {@link #POLL_BOUND_MILLIS}. */
    static <T> T poll(java.util.function.Supplier<T> probe, String what) {
        java.util.concurrent.atomic.AtomicReference<T> found = new java.util.concurrent.atomic.AtomicReference<>();
        io.glint.node.Poll.until(java.time.Duration.ofMillis(POLL_BOUND_MILLIS), java.time.Duration.ofMillis(10),
                () -> {
                    found.set(probe.get());
                    return found.get() != null;
                }, () -> what);
        return found.get();
    }

    static void assertJsonContentType(ApiClient.Resp r) {
        assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"),
                () -> "Content-Type " + r.header("Content-Type"));
    }

    static void assertNoBody(ApiClient.Resp r) {
        assertEquals("", r.body(), "body of a " + r.status());
    }
}
