package io.glint.node.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The one JSON mapper of the HTTP side, with its options pinned: duplicate keys and trailing
 * tokens are errors, nesting depth and string length are bounded (fault matrix #27). Request
 * bodies must also be well-formed UTF-8 and hold no unpaired surrogate escape ("\ud800"): Jackson
 * lets both through (overlong forms decode to NUL, CESU-8 to surrogates), and a string without a
 * UTF-8 form would fail later, when the registry encodes the command, as a 500.
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

    /** Parses a request body; malformed JSON, invalid UTF-8, unpaired surrogates or limits exceeded -> 400. */
    public static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) throw ApiException.badRequest("Body expected in request.");
        if (!isUtf8(body)) throw ApiException.badRequest("The request body is not valid UTF-8.");
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("Malformed JSON in request body.");
        }
        if (n == null || n.isMissingNode()) throw ApiException.badRequest("Body expected in request.");
        if (!wellFormed(n)) {
            throw ApiException.badRequest("The request body holds a string with an unpaired UTF-16 surrogate escape.");
        }
        return n;
    }

    private static boolean isUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** No string or key of the tree holds an unpaired surrogate (recursion bounded by the nesting limit). */
    private static boolean wellFormed(JsonNode n) {
        if (n.isTextual()) return wellFormed(n.textValue());
        if (n.isObject()) {
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (!wellFormed(e.getKey()) || !wellFormed(e.getValue())) return false;
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) if (!wellFormed(c)) return false;
        }
        return true;
    }

    static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
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
