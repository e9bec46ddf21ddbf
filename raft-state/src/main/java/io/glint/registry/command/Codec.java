package io.glint.registry.command;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * The versioned binary codec of everything that crosses the log or the wire between the registry
 * client and the state machine, and of the records stored in the tables.
 *
 * <p>A frame is {@code [format version][frame kind][CBOR body]}. The body is Jackson's CBOR with
 * options pinned explicitly (sorted map keys, no unknown properties) so that one value always
 * encodes to the same bytes: the state digest relies on it. A frame of an unknown version or kind
 * is refused loudly; it must never be applied half-understood.
 */
public final class Codec {
    public static final byte FORMAT_VERSION = 1;

    /** Frame kinds; their numbers are part of the log format. */
    public enum Kind {
        COMMAND(1), BATCH(2), RESULTS(3), QUERY(4), RESULT(5), RECORD(6);

        final byte tag;

        Kind(int tag) {
            this.tag = (byte) tag;
        }
    }

    private static final ObjectMapper MAPPER = CBORMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            // records encode their components only: helpers such as Identity.isAdmin() are not state
            .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .build();

    private static final TypeReference<List<Command>> COMMANDS = new TypeReference<>() {};
    private static final TypeReference<List<Result>> RESULTS = new TypeReference<>() {};

    private Codec() {}

    public static byte[] encodeCommand(Command c) {
        return frame(Kind.COMMAND, c);
    }

    public static Command decodeCommand(byte[] bytes) {
        return unframe(bytes, Kind.COMMAND, Command.class);
    }

    /** Several commands in one log entry (group commit); order is preserved. */
    public static byte[] encodeBatch(List<Command> commands) {
        return frameTyped(Kind.BATCH, commands, COMMANDS);
    }

    public static List<Command> decodeBatch(byte[] bytes) {
        return unframeTyped(bytes, Kind.BATCH, COMMANDS);
    }

    public static byte[] encodeResults(List<Result> results) {
        return frameTyped(Kind.RESULTS, results, RESULTS);
    }

    public static List<Result> decodeResults(byte[] bytes) {
        return unframeTyped(bytes, Kind.RESULTS, RESULTS);
    }

    public static byte[] encodeQuery(Query q) {
        return frame(Kind.QUERY, q);
    }

    public static Query decodeQuery(byte[] bytes) {
        return unframe(bytes, Kind.QUERY, Query.class);
    }

    public static byte[] encodeResult(Result r) {
        return frame(Kind.RESULT, r);
    }

    public static Result decodeResult(byte[] bytes) {
        return unframe(bytes, Kind.RESULT, Result.class);
    }

    /** A stored record (table value). */
    public static byte[] encodeRecord(Object value) {
        return frame(Kind.RECORD, value);
    }

    public static <T> T decodeRecord(byte[] bytes, Class<T> type) {
        return unframe(bytes, Kind.RECORD, type);
    }

    private static byte[] frame(Kind kind, Object value) {
        try {
            byte[] body = MAPPER.writeValueAsBytes(value);
            return prefix(kind, body);
        } catch (IOException e) {
            throw new UncheckedIOException("encode " + kind, e);
        }
    }

    private static <T> byte[] frameTyped(Kind kind, T value, TypeReference<T> type) {
        try {
            byte[] body = MAPPER.writerFor(type).writeValueAsBytes(value);
            return prefix(kind, body);
        } catch (IOException e) {
            throw new UncheckedIOException("encode " + kind, e);
        }
    }

    private static byte[] prefix(Kind kind, byte[] body) {
        byte[] out = new byte[body.length + 2];
        out[0] = FORMAT_VERSION;
        out[1] = kind.tag;
        System.arraycopy(body, 0, out, 2, body.length);
        return out;
    }

    private static void checkHeader(byte[] bytes, Kind kind) {
        if (bytes == null || bytes.length < 2) throw new CodecException("frame too short");
        if (bytes[0] != FORMAT_VERSION) throw new CodecException("unknown format version " + bytes[0]);
        if (bytes[1] != kind.tag) throw new CodecException("expected " + kind + " frame, got kind " + bytes[1]);
    }

    private static <T> T unframe(byte[] bytes, Kind kind, Class<T> type) {
        checkHeader(bytes, kind);
        try {
            return MAPPER.readValue(bytes, 2, bytes.length - 2, type);
        } catch (IOException e) {
            throw new CodecException("decode " + kind + ": " + e.getMessage(), e);
        }
    }

    private static <T> T unframeTyped(byte[] bytes, Kind kind, TypeReference<T> type) {
        checkHeader(bytes, kind);
        try {
            return MAPPER.readerFor(type).readValue(Arrays.copyOfRange(bytes, 2, bytes.length));
        } catch (IOException e) {
            throw new CodecException("decode " + kind + ": " + e.getMessage(), e);
        }
    }

    /** A frame that can not be decoded: corruption or a version this build does not know. */
    public static final class CodecException extends RuntimeException {
        public CodecException(String message) {
            super(message);
        }

        public CodecException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
