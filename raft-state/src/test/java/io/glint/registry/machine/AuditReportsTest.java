package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.Result;
import io.glint.registry.model.Result.Code;
import io.glint.registry.query.Query;
import io.glint.registry.query.QueryEngine;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Audit reports kept in the registry and the list of audit marks (DESIGN §6). */
class AuditReportsTest {
    private static final int MAX = Command.SaveAuditReport.REPORT_MAX_UTF8_BYTES;

    private final MachineHarness h = new MachineHarness();

    private Result query(Query q) {
        return QueryEngine.run(h.store, h.store.applied().index(), q);
    }

    /** An audit id as the node makes them: {@code a-<13-digit millis>-<8 hex>}. */
    private static String auditId(long millis, int salt) {
        return String.format("a-%013d-%08x", millis, salt);
    }

    private AuditMark mark(String auditId) {
        return h.ok(new Command.MarkAudit(h.tick(), auditId, "admin")).value(AuditMark.class);
    }

    private Command.SaveAuditReport save(String auditId, String json) {
        return new Command.SaveAuditReport(h.tick(), auditId, json);
    }

    // --- reports --------------------------------------------------------------------------------

    @Test
    void aReportIsSavedUnderItsMarkAndALaterSaveReplacesIt() {
        String id = auditId(1_700_000_000_000L, 1);
        AuditMark m = mark(id);
        h.tick();
        Command.SaveAuditReport running = save(id, "{\"state\":\"running\"}");
        AuditReport first = h.ok(running).value(AuditReport.class);
        assertEquals(new AuditReport(id, m.logIndex(), running.nowMillis(), "{\"state\":\"running\"}"), first);
        assertEquals(first, query(new Query.GetAuditReport(id)).value(AuditReport.class));

        Command.SaveAuditReport done = save(id, "{\"state\":\"done\",\"missing\":[]}");
        AuditReport second = h.ok(done).value(AuditReport.class);
        assertEquals(new AuditReport(id, m.logIndex(), done.nowMillis(), "{\"state\":\"done\",\"missing\":[]}"), second);
        assertEquals(second, query(new Query.GetAuditReport(id)).value(AuditReport.class));
        assertEquals(m, query(new Query.GetAudit(id)).value(AuditMark.class), "the mark is untouched by reports");
        RegistryInvariants.check(h.store, "after two saves");
    }

    @Test
    void aReportNeedsAnExistingMark() {
        mark("a-1");
        h.rejected(Code.NOT_FOUND, save("a-2", "{}"), "no mark a-2");
        assertEquals(Code.NOT_FOUND, query(new Query.GetAuditReport("a-2")).code());
        assertEquals(Code.NOT_FOUND, query(new Query.GetAuditReport("a-1")).code(), "marked, nothing saved yet");
        assertEquals(Code.NOT_FOUND, query(new Query.GetAuditReport(null)).code());
    }

    @Test
    void emptyMissingOrBadlyNamedReportsAreInvalid() {
        mark("a-1");
        h.rejected(Code.INVALID, save("a-1", null), "null report");
        h.rejected(Code.INVALID, save("a-1", ""), "empty report");
        h.rejected(Code.INVALID, save(null, "{}"), "null audit id");
        h.rejected(Code.INVALID, save("", "{}"), "empty audit id");
        h.rejected(Code.INVALID, save("a-1\0x", "{}"), "NUL in the audit id");
    }

    @Test
    void theSizeLimitCountsUtf8BytesNotCharacters() {
        mark("a-1");
        h.ok(save("a-1", "x".repeat(MAX)));
        h.rejected(Code.INVALID, save("a-1", "x".repeat(MAX + 1)), "one byte over");
        // 2-byte characters: half as many characters as the limit in bytes, but one character over
        h.rejected(Code.INVALID, save("a-1", "é".repeat(MAX / 2 + 1)), "2-byte characters over the limit");
        // 3-byte characters filling the limit exactly, then one byte more
        String euros = "€".repeat(MAX / 3) + "x".repeat(MAX % 3);
        assertEquals(MAX, euros.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(euros, h.ok(save("a-1", euros)).value(AuditReport.class).reportJson());
        h.rejected(Code.INVALID, save("a-1", euros + "x"), "3-byte characters, one byte over");
        // 4-byte characters (surrogate pairs)
        String clefs = "\uD834\uDD1E".repeat(MAX / 4);
        assertEquals(MAX, clefs.getBytes(StandardCharsets.UTF_8).length);
        h.ok(save("a-1", clefs));
        h.rejected(Code.INVALID, save("a-1", clefs + "x"), "4-byte characters, one byte over");
    }

    @Test
    void utf8LengthAgreesWithTheEncoderOnWellFormedText() {
        Random rnd = new Random(5);
        int[] samples = {'a', 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
        for (int round = 0; round < 500; round++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(40); i > 0; i--) {
                int cp = rnd.nextBoolean() ? samples[rnd.nextInt(samples.length)] : rnd.nextInt(0x110000);
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'z';
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, ClusterCommands.utf8Length(s), s);
        }
        assertEquals(3, ClusterCommands.utf8Length("\uD800"), "an unpaired surrogate counts its worst case");
    }

    // --- listing marks ----------------------------------------------------------------------------

    @Test
    void marksAreListedNewestFirstAndPagedBackwards() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) ids.add(auditId(1_700_000_000_000L + i * 1000L, 0xfffffff0 - i));
        List<String> insertion = new ArrayList<>(ids);
        Collections.shuffle(insertion, new Random(7));
        for (String id : insertion) mark(id);
        List<String> newestFirst = new ArrayList<>(ids);
        newestFirst.sort(Comparator.reverseOrder());

        AuditMark.Marks all = query(new Query.ListAudits(null, 100)).value(AuditMark.Marks.class);
        assertEquals(newestFirst, all.audits().stream().map(AuditMark::auditId).toList());
        assertNull(all.nextBefore());
        for (AuditMark m : all.audits()) assertEquals(m, query(new Query.GetAudit(m.auditId())).value(AuditMark.class));

        List<String> paged = new ArrayList<>();
        String before = null;
        int pages = 0;
        do {
            AuditMark.Marks page = query(new Query.ListAudits(before, 3)).value(AuditMark.Marks.class);
            assertEquals(Math.min(3, newestFirst.size() - paged.size()), page.audits().size());
            page.audits().forEach(m -> paged.add(m.auditId()));
            before = page.nextBefore();
            if (before != null) assertEquals(paged.get(paged.size() - 1), before);
            pages++;
        } while (before != null && pages < 10);
        assertEquals(newestFirst, paged);
        assertEquals(3, pages);

        // a page that takes exactly the last marks says there are no more
        AuditMark.Marks lastThree = query(new Query.ListAudits(newestFirst.get(3), 3)).value(AuditMark.Marks.class);
        assertEquals(newestFirst.subList(4, 7), lastThree.audits().stream().map(AuditMark::auditId).toList());
        assertNull(lastThree.nextBefore());
        // a bound that is not itself an audit id
        String between = newestFirst.get(1) + "0";
        assertEquals(newestFirst.subList(1, 3), query(new Query.ListAudits(between, 2)).value(AuditMark.Marks.class)
                .audits().stream().map(AuditMark::auditId).toList());
        assertEquals(List.of(), query(new Query.ListAudits(newestFirst.get(6), 5)).value(AuditMark.Marks.class).audits());
    }

    @Test
    void theLimitIsClampedToOneThousandAndAtLeastOne() {
        assertEquals(new AuditMark.Marks(List.of(), null), query(new Query.ListAudits(null, 10)).value(AuditMark.Marks.class));
        int n = Query.ListAudits.LIMIT_MAX + 5;
        for (int i = 0; i < n; i++) mark(auditId(1_600_000_000_000L + i, i));
        AuditMark.Marks capped = query(new Query.ListAudits(null, Integer.MAX_VALUE)).value(AuditMark.Marks.class);
        assertEquals(Query.ListAudits.LIMIT_MAX, capped.audits().size());
        assertEquals(auditId(1_600_000_000_000L + n - 1, n - 1), capped.audits().get(0).auditId());
        assertEquals(capped.audits().get(Query.ListAudits.LIMIT_MAX - 1).auditId(), capped.nextBefore());
        AuditMark.Marks rest = query(new Query.ListAudits(capped.nextBefore(), 1000)).value(AuditMark.Marks.class);
        assertEquals(5, rest.audits().size());
        assertNull(rest.nextBefore());
        for (int limit : new int[] {0, -3, Integer.MIN_VALUE}) {
            AuditMark.Marks one = query(new Query.ListAudits(null, limit)).value(AuditMark.Marks.class);
            assertEquals(1, one.audits().size(), "limit " + limit);
            assertEquals(one.audits().get(0).auditId(), one.nextBefore());
        }
    }
}
