package io.glint.registry;

import io.glint.registry.model.Image;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's core packages are pure (STYLE §4): they never touch RocksDB, Ratis or Netty, nor
 * the shell packages that do. Checked twice: in the sources (imports and fully-qualified names,
 * comments stripped) and in the compiled classes (class names in the constant pool), so neither a
 * wildcard import nor a reference the source scan misreads can slip through.
 */
class CorePurityTest {
    static final List<String> CORE = List.of("model", "command", "machine", "query", "store");
    static final List<String> FORBIDDEN = List.of("org.rocksdb", "org.apache.ratis", "io.netty",
            "io.glint.registry.rocks", "io.glint.registry.ratis");

    private static final Pattern REFERENCE = Pattern.compile("\\b(" + String.join("|",
            FORBIDDEN.stream().map(Pattern::quote).toList()) + ")\\b");

    @Test
    void coreSourcesReferenceNoStorageConsensusOrNetworkLibrary() throws IOException {
        Path root = sourceRoot();
        List<String> violations = new ArrayList<>();
        for (String pkg : CORE) {
            Path dir = root.resolve("io/glint/registry/" + pkg);
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir, 4)) {
                files = s.filter(p -> p.toString().endsWith(".java")).toList();
            }
            assertTrue(files.size() > 0, "no sources found for package " + pkg + " under " + dir);
            for (Path f : files) {
                String code = stripComments(Files.readString(f, StandardCharsets.UTF_8));
                for (String hit : references(code)) violations.add(root.relativize(f) + ": " + hit);
            }
        }
        assertEquals(List.of(), violations, "core packages must stay pure");
    }

    @Test
    void coreClassesReferenceNoStorageConsensusOrNetworkLibrary() throws IOException, URISyntaxException {
        Path root = Paths.get(Image.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> violations = new ArrayList<>();
        for (String pkg : CORE) {
            Path dir = root.resolve("io/glint/registry/" + pkg);
            List<Path> classes;
            try (Stream<Path> s = Files.walk(dir, 4)) {
                classes = s.filter(p -> p.toString().endsWith(".class")).toList();
            }
            assertTrue(classes.size() > 0, "no classes found for package " + pkg + " under " + dir);
            for (Path c : classes) {
                String pool = new String(Files.readAllBytes(c), StandardCharsets.ISO_8859_1);
                for (String f : FORBIDDEN) {
                    if (pool.contains(f.replace('.', '/') + "/")) violations.add(root.relativize(c) + ": " + f);
                }
            }
        }
        assertEquals(List.of(), violations, "core classes must stay pure");
    }

    @Test
    void theScannerFindsWhatItLooksFor() {
        assertEquals(List.of("org.rocksdb"), references(stripComments("import org.rocksdb.RocksDB;")));
        assertEquals(List.of("io.netty"), references(stripComments("import static io.netty.util.X.y;")));
        assertEquals(List.of("org.apache.ratis"),
                references(stripComments("class A { org.apache.ratis.protocol.Message m; }")));
        assertEquals(List.of("io.glint.registry.rocks"),
                references(stripComments("import io.glint.registry.rocks.*;")));
        assertEquals(List.of(), references(stripComments("/** unlike org.rocksdb */ // io.netty\nclass A {}")));
        assertEquals(List.of(), references(stripComments("class A { String s = \"io.netty\"; }")));
        assertEquals(List.of(), references(stripComments("import io.nettyx.Y; import org.rocksdbfoo.Z;")));
        assertEquals(List.of("io.netty"),
                references(stripComments("// it's \"odd\nimport io.netty.X; char q = '\"';")));
        assertEquals(List.of("org.rocksdb"),
                references(stripComments("String s = \"//\"; import org.rocksdb.Y; String t = \"\"\"\n io.netty \"\"\";")));
    }

    private static List<String> references(String code) {
        List<String> out = new ArrayList<>();
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /**
     * The code without comments and with string, text-block and char literals emptied: a small
     * lexer, so that a quote inside a comment or a {@code "//"} inside a string can not hide code.
     */
    static String stripComments(String code) {
        StringBuilder out = new StringBuilder(code.length());
        int i = 0;
        int n = code.length();
        while (i < n) {
            char c = code.charAt(i);
            char next = i + 1 < n ? code.charAt(i + 1) : 0;
            if (c == '/' && next == '/') {
                while (i < n && code.charAt(i) != '\n') i++;
            } else if (c == '/' && next == '*') {
                int end = code.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (code.startsWith("\"\"\"", i)) {
                int end = code.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && code.charAt(i) != c && code.charAt(i) != '\n') {
                    i += code.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** src/main/java of this module: Maven runs tests in the module directory and sets basedir. */
    private static Path sourceRoot() {
        List<Path> candidates = new ArrayList<>();
        String basedir = System.getProperty("basedir");
        if (basedir != null) candidates.add(Paths.get(basedir, "src/main/java"));
        candidates.add(Paths.get("src/main/java"));
        candidates.add(Paths.get("raft-state/src/main/java"));
        for (Path p : candidates) {
            if (Files.isDirectory(p.resolve("io/glint/registry/model"))) return p;
        }
        throw new AssertionError("raft-state sources not found; tried " + candidates);
    }
}
