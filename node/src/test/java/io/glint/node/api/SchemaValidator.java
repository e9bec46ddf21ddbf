package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The subset of JSON Schema (draft 4) that the published image and member schemas use, as
 * glanceclient's validator applies it: {@code type} (a name or a list, {@code "null"} included),
 * {@code enum}, {@code minLength}/{@code maxLength}, {@code pattern} (searched, as in JSON Schema),
 * {@code properties}, {@code additionalProperties} (a schema or false), {@code required} and
 * {@code items}. Unknown keywords (description, readOnly, is_base, ...) are ignored.
 */
final class SchemaValidator {
    private SchemaValidator() {}

    /** Every violation of {@code schema} by {@code doc}, as "path: problem"; empty when valid. */
    static List<String> validate(JsonNode schema, JsonNode doc) {
        List<String> errors = new ArrayList<>();
        check(schema, doc, "$", errors);
        return errors;
    }

    private static void check(JsonNode schema, JsonNode v, String at, List<String> errors) {
        JsonNode type = schema.get("type");
        if (type != null && !typeMatches(type, v)) {
            errors.add(at + ": " + v + " is not of type " + type);
            return;
        }
        JsonNode en = schema.get("enum");
        if (en != null) {
            boolean found = false;
            for (JsonNode e : en) found |= e.equals(v);
            if (!found) errors.add(at + ": " + v + " is not one of " + en);
        }
        if (v.isTextual()) {
            String s = v.asText();
            int len = s.codePointCount(0, s.length());
            if (schema.has("maxLength") && len > schema.get("maxLength").asInt()) {
                errors.add(at + ": longer than " + schema.get("maxLength"));
            }
            if (schema.has("minLength") && len < schema.get("minLength").asInt()) {
                errors.add(at + ": shorter than " + schema.get("minLength"));
            }
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(s).find()) {
                errors.add(at + ": '" + s + "' does not match " + schema.get("pattern"));
            }
        }
        if (v.isArray() && schema.has("items")) {
            int i = 0;
            for (JsonNode item : v) check(schema.get("items"), item, at + "[" + i++ + "]", errors);
        }
        if (v.isObject()) {
            JsonNode props = schema.get("properties");
            JsonNode additional = schema.get("additionalProperties");
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = at + "." + e.getKey();
                if (props != null && props.has(e.getKey())) {
                    check(props.get(e.getKey()), e.getValue(), child, errors);
                } else if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
                    errors.add(child + ": additional property not allowed");
                } else if (additional != null && additional.isObject()) {
                    check(additional, e.getValue(), child, errors);
                }
            }
            JsonNode required = schema.get("required");
            if (required != null) {
                for (JsonNode r : required) {
                    if (!v.has(r.asText())) errors.add(at + ": missing required property " + r.asText());
                }
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode v) {
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (typeMatches(t, v)) return true;
            }
            return false;
        }
        switch (type.asText()) {
            case "null": return v.isNull();
            case "string": return v.isTextual();
            case "integer": return v.isIntegralNumber();
            case "number": return v.isNumber();
            case "boolean": return v.isBoolean();
            case "array": return v.isArray();
            case "object": return v.isObject();
            default: throw new IllegalArgumentException("unknown schema type " + type);
        }
    }
}
