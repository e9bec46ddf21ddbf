package io.glint.registry.command;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ChunkRef;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest;
import io.glint.registry.query.Query;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The log and wire codec: every command, result, payload and query type decodes to exactly the
 * value that was encoded, a value always encodes to the same bytes, and a frame of another
 * version or kind, or a body this build does not understand, is refused with
 * {@link Codec.CodecException} rather than half-decoded.
 */
class CodecProperties {

    // --- round trips ------------------------------------------------------------------------------

    @Property(tries = 600)
    void everyCommandRoundTrips(@ForAll("commands") Command c) {
        byte[] bytes = Codec.encodeCommand(c);
        Command back = Codec.decodeCommand(bytes);
        assertEquals(c, back);
        assertArrayEquals(bytes, Codec.encodeCommand(back), "re-encoding gives the same bytes");
        assertArrayEquals(bytes, Codec.encodeCommand(c), "encoding is deterministic");
    }

    @Property(tries = 150)
    void batchesRoundTripInOrder(@ForAll("batches") List<Command> batch) {
        byte[] bytes = Codec.encodeBatch(batch);
        List<Command> back = Codec.decodeBatch(bytes);
        assertEquals(batch, back);
        assertArrayEquals(bytes, Codec.encodeBatch(back));
    }

    @Property(tries = 400)
    void everyResultRoundTrips(@ForAll("results") Result r) {
        byte[] bytes = Codec.encodeResult(r);
        Result back = Codec.decodeResult(bytes);
        assertEquals(r, back);
        assertArrayEquals(bytes, Codec.encodeResult(back));
    }

    @Property(tries = 100)
    void resultListsRoundTrip(@ForAll("resultLists") List<Result> rs) {
        byte[] bytes = Codec.encodeResults(rs);
        assertEquals(rs, Codec.decodeResults(bytes));
        assertArrayEquals(bytes, Codec.encodeResults(Codec.decodeResults(bytes)));
    }

    @Property(tries = 300)
    void everyPayloadRoundTripsAsAStoredRecord(@ForAll("payloads") Payload p) {
        byte[] bytes = Codec.encodeRecord(p);
        Payload back = Codec.decodeRecord(bytes, p.getClass());
        assertEquals(p, back);
        assertArrayEquals(bytes, Codec.encodeRecord(back));
    }

    @Property(tries = 400)
    void everyQueryRoundTrips(@ForAll("queries") Query q) {
        byte[] bytes = Codec.encodeQuery(q);
        Query back = Codec.decodeQuery(bytes);
        assertEquals(q, back);
        assertArrayEquals(bytes, Codec.encodeQuery(back));
    }

    @Property(tries = 200)
    void patchValuesRoundTripInsidePatches(@ForAll("patchValues") PatchValue v) {
        Command c = new Command.PatchImage(Identity.member("p"), 1, "id",
                List.of(new PatchOp(PatchOp.Op.ADD, "f", v)));
        assertEquals(c, Codec.decodeCommand(Codec.encodeCommand(c)));
    }

    // --- determinism ------------------------------------------------------------------------------

    @Property(tries = 200)
    void mapInsertionOrderDoesNotChangeTheBytes(@ForAll("extras") Map<String, String> extra) {
        List<String> keys = new ArrayList<>(extra.keySet());
        Map<String, String> forward = new LinkedHashMap<>();
        for (String k : keys) forward.put(k, extra.get(k));
        Map<String, String> backward = new LinkedHashMap<>();
        for (int i = keys.size() - 1; i >= 0; i--) backward.put(keys.get(i), extra.get(keys.get(i)));
        assertArrayEquals(Codec.encodeCommand(create(forward)), Codec.encodeCommand(create(backward)));
    }

    private static Command create(Map<String, String> extra) {
        return new Command.CreateImage(Identity.member("p"), 1, "id", "n", Visibility.SHARED, false, false, "p", 0, 0,
                null, null, List.of("b", "a"), extra);
    }

    @Example
    void identityRolesAndImageTagsAreCanonicalBeforeEncoding() {
        Identity a = new Identity("p", "u", List.of("Member", "reader", "ADMIN"));
        Identity b = new Identity("p", "u", List.of("admin", "reader", "member", "member"));
        assertArrayEquals(Codec.encodeRecord(a), Codec.encodeRecord(b));
    }

    // --- refusals ---------------------------------------------------------------------------------

    @Property(tries = 100)
    void anotherVersionByteIsRefused(@ForAll("commands") Command c, @ForAll("otherVersions") byte version) {
        byte[] bytes = Codec.encodeCommand(c);
        bytes[0] = version;
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(bytes));
        byte[] batch = Codec.encodeBatch(List.of(c));
        batch[0] = version;
        assertThrows(Codec.CodecException.class, () -> Codec.decodeBatch(batch));
    }

    @Provide
    Arbitrary<Byte> otherVersions() {
        return Arbitraries.bytes().filter(b -> b != Codec.FORMAT_VERSION);
    }

    @Example
    void everyDecoderRefusesEveryOtherKind() {
        Command cmd = new Command.MarkAudit(1, "a", "b");
        Result res = Result.ok(new Payload.Digest(1, "00"));
        Query q = new Query.GetSettings();
        Map<Codec.Kind, byte[]> frames = new TreeMap<>();
        frames.put(Codec.Kind.COMMAND, Codec.encodeCommand(cmd));
        frames.put(Codec.Kind.BATCH, Codec.encodeBatch(List.of(cmd)));
        frames.put(Codec.Kind.RESULTS, Codec.encodeResults(List.of(res)));
        frames.put(Codec.Kind.QUERY, Codec.encodeQuery(q));
        frames.put(Codec.Kind.RESULT, Codec.encodeResult(res));
        frames.put(Codec.Kind.RECORD, Codec.encodeRecord(res));
        Map<Codec.Kind, Function<byte[], Object>> decoders = new TreeMap<>();
        decoders.put(Codec.Kind.COMMAND, Codec::decodeCommand);
        decoders.put(Codec.Kind.BATCH, Codec::decodeBatch);
        decoders.put(Codec.Kind.RESULTS, Codec::decodeResults);
        decoders.put(Codec.Kind.QUERY, Codec::decodeQuery);
        decoders.put(Codec.Kind.RESULT, Codec::decodeResult);
        decoders.put(Codec.Kind.RECORD, b -> Codec.decodeRecord(b, Result.class));
        assertEquals(Set.of(Codec.Kind.values()), frames.keySet());
        for (Codec.Kind frameKind : Codec.Kind.values()) {
            for (Codec.Kind decoderKind : Codec.Kind.values()) {
                byte[] frame = frames.get(frameKind);
                Function<byte[], Object> decode = decoders.get(decoderKind);
                if (frameKind == decoderKind) {
                    decode.apply(frame);
                } else {
                    assertThrows(Codec.CodecException.class, () -> decode.apply(frame),
                            frameKind + " frame given to the " + decoderKind + " decoder");
                }
            }
            byte[] unknownKind = frames.get(frameKind).clone();
            unknownKind[1] = 99;
            assertThrows(Codec.CodecException.class, () -> decoders.get(frameKind).apply(unknownKind));
        }
    }

    @Example
    void shortOrGarbledFramesAreRefused() {
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(null));
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(new byte[0]));
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(new byte[] {Codec.FORMAT_VERSION}));
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(new byte[] {Codec.FORMAT_VERSION, 1}));
        assertThrows(Codec.CodecException.class, () -> Codec.decodeBatch(new byte[] {Codec.FORMAT_VERSION, 2}));
        byte[] ok = Codec.encodeCommand(new Command.MarkAudit(1, "a", "b"));
        byte[] truncated = Arrays.copyOf(ok, ok.length - 3);
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(truncated));
    }

    @Example
    void unknownTypeNamesAndUnknownFieldsAreRefused() throws Exception {
        ObjectMapper cbor = new CBORMapper();
        byte[] good = Codec.encodeCommand(new Command.MarkAudit(1, "a", "b"));
        @SuppressWarnings("unchecked")
        Map<String, Object> body = cbor.readValue(Arrays.copyOfRange(good, 2, good.length), Map.class);
        assertEquals("MarkAudit", body.get("@c"));

        Map<String, Object> unknownType = new TreeMap<>(body);
        unknownType.put("@c", "MarkAuditV2");
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(frame(1, cbor.writeValueAsBytes(unknownType))));

        Map<String, Object> extraField = new TreeMap<>(body);
        extraField.put("newField", 7);
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(frame(1, cbor.writeValueAsBytes(extraField))));

        Map<String, Object> noType = new TreeMap<>(body);
        noType.remove("@c");
        assertThrows(Codec.CodecException.class, () -> Codec.decodeCommand(frame(1, cbor.writeValueAsBytes(noType))));

        assertEquals(new Command.MarkAudit(1, "a", "b"), Codec.decodeCommand(frame(1, cbor.writeValueAsBytes(body))));
    }

    private static byte[] frame(int kind, byte[] body) {
        byte[] out = new byte[body.length + 2];
        out[0] = Codec.FORMAT_VERSION;
        out[1] = (byte) kind;
        System.arraycopy(body, 0, out, 2, body.length);
        return out;
    }

    // --- coverage of the generators ---------------------------------------------------------------

    @Example
    void theGeneratorsCoverEveryType() {
        assertEquals(Set.of(Command.class.getPermittedSubclasses()), COMMANDS.keySet(), "a generator per command");
        assertEquals(Set.of(Query.class.getPermittedSubclasses()), QUERIES.keySet(), "a generator per query");
        assertEquals(Set.of(PatchValue.class.getPermittedSubclasses()), PATCH_VALUES.keySet());
        Set<Class<?>> payloadTypes = Arrays.stream(Payload.class.getAnnotation(JsonSubTypes.class).value())
                .map(JsonSubTypes.Type::value).collect(Collectors.toSet());
        assertEquals(payloadTypes, PAYLOADS.keySet(), "a generator per payload type");
    }

    // --- generators -------------------------------------------------------------------------------

    /** Any Unicode text without lone surrogates (they can not be represented in UTF-8). */
    static Arbitrary<String> text() {
        return Arbitraries.oneOf(
                Arbitraries.strings().alpha().numeric().withChars("-_ ./:").ofMaxLength(12),
                Arbitraries.integers().between(0, 0x10FFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                        .list().ofMaxSize(8).map(cps -> {
                            StringBuilder sb = new StringBuilder();
                            for (int cp : cps) sb.appendCodePoint(cp);
                            return sb.toString();
                        }));
    }

    static Arbitrary<String> nullableText() {
        return text().injectNull(0.15);
    }

    static Arbitrary<Identity> identities() {
        return Combinators.combine(nullableText(), nullableText(),
                Arbitraries.of("admin", "member", "reader", "Service", "MEMBER").list().ofMaxSize(4).injectNull(0.1))
                .as(Identity::new);
    }

    static <E extends Enum<E>> Arbitrary<E> nullable(Class<E> type) {
        return Arbitraries.of(type).injectNull(0.1);
    }

    static Arbitrary<String> hex(int chars) {
        return Arbitraries.strings().withChars("0123456789abcdef").ofLength(chars);
    }

    static Arbitrary<ChunkManifest> manifests() {
        Arbitrary<ChunkInfo> chunk = Combinators.combine(hex(64), Arbitraries.integers().between(1, 8 << 20),
                Arbitraries.integers()).as(ChunkInfo::new);
        return Combinators.combine(nullableText(), chunk.list().ofMaxSize(6), nullableText(), nullableText(),
                nullableText()).as((id, chunks, md5, algo, value) -> {
                    long size = chunks.stream().mapToLong(ChunkInfo::lengthBytes).sum();
                    return new ChunkManifest(id, chunks, size, md5, algo, value);
                });
    }

    static Arbitrary<Map<String, String>> stringMaps() {
        return Arbitraries.maps(text(), text()).ofMaxSize(5);
    }

    @Provide
    Arbitrary<Map<String, String>> extras() {
        return Arbitraries.maps(text(), text()).ofMinSize(2).ofMaxSize(8);
    }

    static Arbitrary<List<String>> stringLists() {
        return text().list().ofMaxSize(5);
    }

    static Arbitrary<Task> tasks() {
        return Combinators.combine(List.of(nullableText().asGeneric(), nullableText().asGeneric(),
                nullable(TaskStatus.class).asGeneric(), nullableText().asGeneric(), nullableText().asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(), nullableText().asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(), Arbitraries.longs().asGeneric(),
                Arbitraries.longs().asGeneric(), Arbitraries.longs().injectNull(0.3).asGeneric()))
                .as(o -> new Task((String) o.get(0), (String) o.get(1), (TaskStatus) o.get(2), (String) o.get(3),
                        (String) o.get(4), (String) o.get(5), (String) o.get(6), (String) o.get(7),
                        (String) o.get(8), (String) o.get(9), (Long) o.get(10), (Long) o.get(11), (Long) o.get(12)));
    }

    static Arbitrary<NodeInfo> nodes() {
        return Combinators.combine(List.of(nullableText().asGeneric(), nullableText().asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(), nullableText().asGeneric(),
                Arbitraries.longs().asGeneric(), nullable(NodeState.class).asGeneric(),
                Arbitraries.longs().asGeneric(), Arbitraries.longs().asGeneric()))
                .as(o -> new NodeInfo((String) o.get(0), (String) o.get(1), (String) o.get(2), (String) o.get(3),
                        (String) o.get(4), (Long) o.get(5), (NodeState) o.get(6), (Long) o.get(7), (Long) o.get(8)));
    }

    static Arbitrary<ClusterSettings> settings() {
        return Combinators.combine(Arbitraries.integers().between(1, 65536), Arbitraries.integers(),
                Arbitraries.integers(), Arbitraries.integers()).as(ClusterSettings::new);
    }

    static Arbitrary<Image> images() {
        return Combinators.combine(List.of(nullableText().asGeneric(), nullableText().asGeneric(),
                nullable(ImageStatus.class).asGeneric(), nullable(Visibility.class).asGeneric(),
                Arbitraries.of(true, false).asGeneric(), Arbitraries.of(true, false).asGeneric(),
                nullableText().asGeneric(), Arbitraries.longs().asGeneric(), Arbitraries.longs().asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(),
                Arbitraries.longs().injectNull(0.3).asGeneric(), Arbitraries.longs().injectNull(0.3).asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(), nullableText().asGeneric(),
                Arbitraries.longs().asGeneric(), Arbitraries.longs().asGeneric(),
                stringLists().injectNull(0.1).asGeneric(), stringMaps().injectNull(0.1).asGeneric()))
                .as(o -> {
                    @SuppressWarnings("unchecked") List<String> tags = (List<String>) o.get(18);
                    @SuppressWarnings("unchecked") Map<String, String> extra = (Map<String, String>) o.get(19);
                    return new Image((String) o.get(0), (String) o.get(1), (ImageStatus) o.get(2),
                            (Visibility) o.get(3), (Boolean) o.get(4), (Boolean) o.get(5), (String) o.get(6),
                            (Long) o.get(7), (Long) o.get(8), (String) o.get(9), (String) o.get(10),
                            (Long) o.get(11), (Long) o.get(12), (String) o.get(13), (String) o.get(14),
                            (String) o.get(15), (Long) o.get(16), (Long) o.get(17), tags,
                            extra == null ? null : new TreeMap<>(extra));
                });
    }

    static Arbitrary<Member> members() {
        return Combinators.combine(nullableText(), nullableText(), nullable(MemberStatus.class), Arbitraries.longs(),
                Arbitraries.longs()).as(Member::new);
    }

    static Arbitrary<UploadLease> leases() {
        return Combinators.combine(nullableText(), nullableText(), nullableText(), nullable(UploadKind.class),
                Arbitraries.longs(), Arbitraries.longs()).as(UploadLease::new);
    }

    static final Map<Class<?>, Arbitrary<? extends PatchValue>> PATCH_VALUES = Map.of(
            PatchValue.Str.class, nullableText().map(PatchValue.Str::new),
            PatchValue.Bool.class, Arbitraries.of(true, false).map(PatchValue.Bool::new),
            PatchValue.Num.class, Arbitraries.longs().map(PatchValue.Num::new),
            PatchValue.StrList.class, stringLists().map(PatchValue.StrList::new),
            PatchValue.Null.class, Arbitraries.just(new PatchValue.Null()));

    @Provide
    Arbitrary<PatchValue> patchValues() {
        return anyPatchValue();
    }

    static Arbitrary<PatchValue> anyPatchValue() {
        List<Arbitrary<? extends PatchValue>> all = new ArrayList<>(PATCH_VALUES.values());
        return Arbitraries.oneOf(all);
    }

    static Arbitrary<PatchOp> patchOps() {
        return Combinators.combine(nullable(PatchOp.Op.class), nullableText(), anyPatchValue().injectNull(0.2))
                .as(PatchOp::new);
    }

    static final Map<Class<?>, Arbitrary<? extends Command>> COMMANDS = commandArbitraries();

    private static Map<Class<?>, Arbitrary<? extends Command>> commandArbitraries() {
        Map<Class<?>, Arbitrary<? extends Command>> m = new LinkedHashMap<>();
        Arbitrary<Long> t = Arbitraries.longs();
        Arbitrary<String> s = nullableText();
        m.put(Command.CreateImage.class, Combinators.combine(List.of(identities().asGeneric(), t.asGeneric(),
                s.asGeneric(), s.asGeneric(), nullable(Visibility.class).asGeneric(),
                Arbitraries.of(true, false).asGeneric(), Arbitraries.of(true, false).asGeneric(), s.asGeneric(),
                t.asGeneric(), t.asGeneric(), s.asGeneric(), s.asGeneric(),
                stringLists().injectNull(0.1).asGeneric(), stringMaps().injectNull(0.1).asGeneric()))
                .as(o -> {
                    @SuppressWarnings("unchecked") List<String> tags = (List<String>) o.get(12);
                    @SuppressWarnings("unchecked") Map<String, String> extra = (Map<String, String>) o.get(13);
                    return new Command.CreateImage((Identity) o.get(0), (Long) o.get(1), (String) o.get(2),
                            (String) o.get(3), (Visibility) o.get(4), (Boolean) o.get(5), (Boolean) o.get(6),
                            (String) o.get(7), (Long) o.get(8), (Long) o.get(9), (String) o.get(10),
                            (String) o.get(11), tags, extra);
                }));
        m.put(Command.PatchImage.class, Combinators.combine(identities(), t, s, patchOps().list().ofMaxSize(5))
                .as(Command.PatchImage::new));
        m.put(Command.BeginUpload.class, Combinators.combine(identities(), t, s, nullable(UploadKind.class), s, s, t)
                .as(Command.BeginUpload::new));
        m.put(Command.CommitUpload.class, Combinators.combine(t, s, s, manifests().injectNull(0.1),
                t.injectNull(0.3), t.injectNull(0.3)).as(Command.CommitUpload::new));
        m.put(Command.AbortUpload.class, Combinators.combine(t, s, s, s).as(Command.AbortUpload::new));
        m.put(Command.RenewLease.class, Combinators.combine(t, s, s, t).as(Command.RenewLease::new));
        m.put(Command.ExpireLease.class, Combinators.combine(t, s, s).as(Command.ExpireLease::new));
        m.put(Command.Deactivate.class, Combinators.combine(identities(), t, s).as(Command.Deactivate::new));
        m.put(Command.Reactivate.class, Combinators.combine(identities(), t, s).as(Command.Reactivate::new));
        m.put(Command.DeleteImage.class, Combinators.combine(identities(), t, s, Arbitraries.of(true, false))
                .as(Command.DeleteImage::new));
        m.put(Command.PurgeImage.class, Combinators.combine(t, s).as(Command.PurgeImage::new));
        m.put(Command.AddTag.class, Combinators.combine(identities(), t, s, s).as(Command.AddTag::new));
        m.put(Command.RemoveTag.class, Combinators.combine(identities(), t, s, s).as(Command.RemoveTag::new));
        m.put(Command.AddMember.class, Combinators.combine(identities(), t, s, s).as(Command.AddMember::new));
        m.put(Command.UpdateMember.class, Combinators.combine(identities(), t, s, s, nullable(MemberStatus.class))
                .as(Command.UpdateMember::new));
        m.put(Command.RemoveMember.class, Combinators.combine(identities(), t, s, s).as(Command.RemoveMember::new));
        m.put(Command.CreateTask.class, Combinators.combine(t, tasks().injectNull(0.1)).as(Command.CreateTask::new));
        m.put(Command.UpdateTask.class, Combinators.combine(t, s, nullable(TaskStatus.class), s, s, t.injectNull(0.3))
                .as(Command.UpdateTask::new));
        m.put(Command.JoinNode.class, Combinators.combine(t, nodes().injectNull(0.1)).as(Command.JoinNode::new));
        m.put(Command.UpdateNode.class, Combinators.combine(t, s, nullable(NodeState.class), t.injectNull(0.3))
                .as(Command.UpdateNode::new));
        m.put(Command.RemoveNode.class, Combinators.combine(t, s).as(Command.RemoveNode::new));
        m.put(Command.MarkAudit.class, Combinators.combine(t, s, s).as(Command.MarkAudit::new));
        m.put(Command.SetClusterSettings.class, settings().injectNull(0.1).map(Command.SetClusterSettings::new));
        m.put(Command.SaveAuditReport.class, Combinators.combine(t, s, s).as(Command.SaveAuditReport::new));
        return m;
    }

    @Provide
    Arbitrary<Command> commands() {
        return Arbitraries.oneOf(new ArrayList<>(COMMANDS.values()));
    }

    @Provide
    Arbitrary<List<Command>> batches() {
        return commands().list().ofMaxSize(12);
    }

    static final Map<Class<?>, Arbitrary<? extends Payload>> PAYLOADS = payloadArbitraries();

    private static Map<Class<?>, Arbitrary<? extends Payload>> payloadArbitraries() {
        Map<Class<?>, Arbitrary<? extends Payload>> m = new LinkedHashMap<>();
        m.put(Image.class, images());
        m.put(Member.class, members());
        m.put(Member.Members.class, members().list().ofMaxSize(4).map(Member.Members::new));
        m.put(ChunkManifest.class, manifests());
        m.put(ChunkRef.Refs.class, Combinators.combine(Arbitraries.integers(),
                Combinators.combine(Arbitraries.integers(), hex(64), Arbitraries.longs(), Arbitraries.integers().greaterOrEqual(1),
                                Arbitraries.integers()).as(ChunkRef::new)
                        .list().ofMaxSize(4)).as(ChunkRef.Refs::new));
        m.put(NodeInfo.class, nodes());
        m.put(NodeInfo.Nodes.class, nodes().list().ofMaxSize(4).map(NodeInfo.Nodes::new));
        m.put(Task.class, tasks());
        m.put(Task.Tasks.class, tasks().list().ofMaxSize(4).map(Task.Tasks::new));
        m.put(UploadLease.class, leases());
        m.put(AuditMark.class, Combinators.combine(nullableText(), Arbitraries.longs(), Arbitraries.longs(),
                nullableText()).as(AuditMark::new));
        m.put(ClusterSettings.class, settings());
        m.put(ImagePage.class, Combinators.combine(images().list().ofMaxSize(3), Arbitraries.of(true, false))
                .as(ImagePage::new));
        m.put(Image.Images.class, images().list().ofMaxSize(3).map(Image.Images::new));
        m.put(Payload.Empty.class, Arbitraries.just(Payload.Empty.INSTANCE));
        m.put(Payload.Digest.class, Combinators.combine(Arbitraries.longs(), hex(64)).as(Payload.Digest::new));
        m.put(Payload.ImageScan.class, Combinators.combine(images().list().ofMaxSize(3), nullableText()).as(Payload.ImageScan::new));
        m.put(AuditReport.class, Combinators.combine(nullableText(), Arbitraries.longs(), Arbitraries.longs(),
                nullableText()).as(AuditReport::new));
        m.put(AuditMark.Marks.class, Combinators.combine(Combinators.combine(nullableText(), Arbitraries.longs(),
                Arbitraries.longs(), nullableText()).as(AuditMark::new).list().ofMaxSize(3), nullableText())
                .as(AuditMark.Marks::new));
        m.put(Payload.UploadScan.class, Combinators.combine(leases().list().ofMaxSize(3), nullableText()).as(Payload.UploadScan::new));
        m.put(Payload.ImageData.class, Combinators.combine(images(), manifests().injectNull(0.3)).as(Payload.ImageData::new));
        return m;
    }

    @Provide
    Arbitrary<Payload> payloads() {
        return Arbitraries.oneOf(new ArrayList<>(PAYLOADS.values()));
    }

    @Provide
    Arbitrary<Result> results() {
        Arbitrary<Result> ok = payloads().map(Result::ok);
        Arbitrary<Result> rejected = Combinators.combine(
                Arbitraries.of(Result.Code.class).filter(c -> c != Result.Code.OK), text())
                .as(Result::reject);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, ok), net.jqwik.api.Tuple.of(1, rejected));
    }

    @Provide
    Arbitrary<List<Result>> resultLists() {
        return results().list().ofMaxSize(8);
    }

    static Arbitrary<ListImagesRequest> listRequests() {
        Arbitrary<ListImagesRequest.TimeFilter> time = Combinators.combine(
                Arbitraries.of(ListImagesRequest.TimeFilter.Op.class), Arbitraries.longs())
                .as(ListImagesRequest.TimeFilter::new);
        Arbitrary<ListImagesRequest.SortKey> sortKey = Combinators.combine(
                Arbitraries.of(ListImagesRequest.SortField.class), Arbitraries.of(true, false))
                .as(ListImagesRequest.SortKey::new);
        return Combinators.combine(List.of(identities().asGeneric(),
                nullable(ListImagesRequest.VisibilityFilter.class).asGeneric(),
                nullable(ListImagesRequest.MemberStatusFilter.class).asGeneric(),
                Arbitraries.of(true, false).asGeneric(),
                Arbitraries.maps(text(), stringLists()).ofMaxSize(3).injectNull(0.2).asGeneric(),
                nullableText().asGeneric(), Arbitraries.of(true, false).injectNull(0.5).asGeneric(),
                nullableText().asGeneric(), nullableText().asGeneric(),
                Arbitraries.longs().injectNull(0.5).asGeneric(), Arbitraries.longs().injectNull(0.5).asGeneric(),
                time.list().ofMaxSize(3).injectNull(0.2).asGeneric(), time.list().ofMaxSize(3).injectNull(0.2).asGeneric(),
                Arbitraries.maps(text(), Arbitraries.longs()).ofMaxSize(3).injectNull(0.2).asGeneric(),
                stringLists().injectNull(0.2).asGeneric(), stringMaps().injectNull(0.2).asGeneric(),
                sortKey.list().ofMaxSize(4).injectNull(0.2).asGeneric(), nullableText().asGeneric(),
                Arbitraries.integers().between(0, ListImagesRequest.MAX_LIMIT).asGeneric()))
                .as(o -> {
                    @SuppressWarnings("unchecked") Map<String, List<String>> anyOf = (Map<String, List<String>>) o.get(4);
                    @SuppressWarnings("unchecked") List<ListImagesRequest.TimeFilter> created = (List<ListImagesRequest.TimeFilter>) o.get(11);
                    @SuppressWarnings("unchecked") List<ListImagesRequest.TimeFilter> updated = (List<ListImagesRequest.TimeFilter>) o.get(12);
                    @SuppressWarnings("unchecked") Map<String, Long> numbers = (Map<String, Long>) o.get(13);
                    @SuppressWarnings("unchecked") List<String> tags = (List<String>) o.get(14);
                    @SuppressWarnings("unchecked") Map<String, String> extra = (Map<String, String>) o.get(15);
                    @SuppressWarnings("unchecked") List<ListImagesRequest.SortKey> sort = (List<ListImagesRequest.SortKey>) o.get(16);
                    return new ListImagesRequest((Identity) o.get(0), (ListImagesRequest.VisibilityFilter) o.get(1),
                            (ListImagesRequest.MemberStatusFilter) o.get(2), (Boolean) o.get(3),
                            anyOf == null ? null : new TreeMap<>(anyOf), (String) o.get(5), (Boolean) o.get(6),
                            (String) o.get(7), (String) o.get(8), (Long) o.get(9), (Long) o.get(10), created, updated,
                            numbers == null ? null : new TreeMap<>(numbers), tags,
                            extra == null ? null : new TreeMap<>(extra), sort, (String) o.get(17), (Integer) o.get(18));
                });
    }

    static final Map<Class<?>, Arbitrary<? extends Query>> QUERIES = queryArbitraries();

    private static Map<Class<?>, Arbitrary<? extends Query>> queryArbitraries() {
        Map<Class<?>, Arbitrary<? extends Query>> m = new LinkedHashMap<>();
        Arbitrary<String> s = nullableText();
        m.put(Query.GetImage.class, Combinators.combine(identities(), s).as(Query.GetImage::new));
        m.put(Query.GetImageRecord.class, s.map(Query.GetImageRecord::new));
        m.put(Query.ListImages.class, listRequests().map(Query.ListImages::new));
        m.put(Query.GetManifest.class, s.map(Query.GetManifest::new));
        m.put(Query.GetImageData.class, Combinators.combine(identities(), s).as(Query.GetImageData::new));
        m.put(Query.ListMembers.class, Combinators.combine(identities(), s).as(Query.ListMembers::new));
        m.put(Query.GetMember.class, Combinators.combine(identities(), s, s).as(Query.GetMember::new));
        m.put(Query.SharedWith.class, s.map(Query.SharedWith::new));
        m.put(Query.ChunkRefs.class, Arbitraries.integers().map(Query.ChunkRefs::new));
        m.put(Query.ListNodes.class, Arbitraries.just(new Query.ListNodes()));
        m.put(Query.GetNode.class, s.map(Query.GetNode::new));
        m.put(Query.GetTask.class, s.map(Query.GetTask::new));
        m.put(Query.TasksOfImage.class, Combinators.combine(identities(), s).as(Query.TasksOfImage::new));
        m.put(Query.GetUpload.class, s.map(Query.GetUpload::new));
        m.put(Query.GetAudit.class, s.map(Query.GetAudit::new));
        m.put(Query.GetSettings.class, Arbitraries.just(new Query.GetSettings()));
        m.put(Query.Digest.class, Arbitraries.just(new Query.Digest()));
        m.put(Query.ScanImages.class, Combinators.combine(s, Arbitraries.of(ImageStatus.class).injectNull(0.2), Arbitraries.integers())
                .as(Query.ScanImages::new));
        m.put(Query.ScanUploads.class, Combinators.combine(s, Arbitraries.integers()).as(Query.ScanUploads::new));
        m.put(Query.GetAuditReport.class, s.map(Query.GetAuditReport::new));
        m.put(Query.ListAudits.class, Combinators.combine(s, Arbitraries.integers()).as(Query.ListAudits::new));
        return m;
    }

    @Provide
    Arbitrary<Query> queries() {
        return Arbitraries.oneOf(new ArrayList<>(QUERIES.values()));
    }
}
