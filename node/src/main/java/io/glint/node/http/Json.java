package io.glint.node.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one JSON mapper of the HTTP side, with its options pinned: duplicate keys and trailing
 * tokens are errors, nesting depth and string length are bounded (fault matrix #27).
 */
public final class Json {
    private Json() {}

    public static final int MAX_NESTING_DEPTH = 64;

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(1 << 20)
                .maxNumberLength(64)
                .build());
    }

    /** Parses a request body; malformed JSON, invalid UTF-8 or limits exceeded -> 400. */
    public static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) throw ApiException.badRequest("Body expected in request.");
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || n.isMissingNode()) throw ApiException.badRequest("Body expected in request.");
            return n;
        } catch (IOException e) {
            throw ApiException.badRequest("Malformed JSON in request body.");
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
