package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Table;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.glint.registry.query.ListFixture.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A page costs O(page + skipped keys), not O(images): counts the reads (point gets and cursor
 * steps) that pages of typical requests make against a registry of 4000 images. Counting reads
 * rather than timing keeps the test exact on any machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListCostTest {
    private static final int IMAGES = 4000;
    private final ListFixture f = new ListFixture();
    private String middleId;

    /** 4000 images of p1..p10 (most private), every 20th tagged, every 50th public, p11 member of 5. */
    @BeforeAll
    void fill() {
        for (int i = 0; i < IMAGES; i++) {
            String id = String.format("img-%05d", i);
            Visibility v = i % 50 == 0 ? Visibility.PUBLIC : i % 7 == 0 ? Visibility.SHARED : Visibility.PRIVATE;
            Image img = image(id).name("n" + (i % 300)).owner("p" + (1 + i % 10)).visibility(v)
                    .created(1_000_000L + i * 10L).size((long) (i % 97)).tags(i % 20 == 0 ? "gold" : "plain").build();
            f.put(img);
            if (i == IMAGES / 2) middleId = id;
        }
        for (int i = 7; i <= 35; i += 7) f.member(String.format("img-%05d", i), "p11", MemberStatus.ACCEPTED);
    }

    /** Counts every get and every cursor step. */
    static final class CountingView implements KeyValueView {
        final KeyValueView inner;
        long reads;

        CountingView(KeyValueView inner) {
            this.inner = inner;
        }

        @Override
        public byte[] get(Table table, byte[] key) {
            reads++;
            return inner.get(table, key);
        }

        @Override
        public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
            Cursor c = inner.scan(table, from, to, descending);
            reads++;
            return new Cursor() {
                @Override
                public boolean next() {
                    reads++;
                    return c.next();
                }

                @Override
                public byte[] key() {
                    return c.key();
                }

                @Override
                public byte[] value() {
                    return c.value();
                }

                @Override
                public void close() {
                    c.close();
                }
            };
        }
    }

    @ParameterizedTest(name = "{0} as {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "default sort, first page        | admin | limit=25",
            "default sort, deep page         | admin | limit=25&marker=MIDDLE",
            "default sort, big page          | admin | limit=1000",
            "owner filter                    | admin | owner=p3&limit=25",
            "owner filter, deep page         | p3    | owner=p3&limit=25&marker=MIDDLE",
            "tag filter                      | admin | tag=gold&limit=25",
            "tag filter, member              | p2    | tag=gold&limit=25",
            "name sort                       | admin | sort=name:asc&limit=25",
            "name sort, deep page            | admin | sort=name:asc&limit=25&marker=MIDDLE",
            "name filter, name sort          | admin | name=n7&sort=name:asc&limit=5",
            "name filter, size sort          | admin | name=n7&sort=size:asc&limit=5",
            "size sort                       | admin | sort=size:desc&limit=25",
            "size then name sort, runs       | admin | sort_key=size&sort_key=name&sort_dir=asc&sort_dir=desc&limit=25",
            "size then name sort, runs, deep | admin | sort_key=size&sort_key=name&sort_dir=asc&sort_dir=desc&marker=MIDDLE",
            "member, default sort            | p4    | limit=25",
            "member, name sort               | p4    | sort=name:desc&limit=25",
            "member, deep page               | p4    | limit=25&marker=MIDDLE",
            "member of shares, shared        | p11   | visibility=shared&limit=25",
            "stranger, default sort          | p99   | limit=25",
            "status filter, default sort     | admin | status=active&limit=25",
    })
    @DisplayName("a page reads O(page + skipped) entries")
    void pageCostIsBounded(String what, String who, String qs) {
        Identity caller = who.equals("admin") ? new Identity("p1", "root", List.of("admin")) : Identity.member(who);
        ListParams.Parsed p = ListParams.parse(caller, ListParamsTest.query(qs.replace("MIDDLE", middleId)));
        assertTrue(p.isOk(), p::error);
        CountingView view = new CountingView(f.store);
        ImagePage page = ImageLister.list(view, p.request()).value(ImagePage.class);
        int limit = p.request().limit();
        assertTrue(page.images().size() <= limit);
        long bound = bound(what, page.images().size(), limit);
        assertTrue(view.reads <= bound, what + ": " + view.reads + " reads for " + page.images().size()
                + " rows, bound " + bound);
        assertTrue(page.images().size() > 0 || what.startsWith("stranger"), what + " found nothing: a vacuous test");
    }

    /**
     * About 2-3 reads per row (index step, image get, a membership get for shared rows), plus the
     * rows skipped on the way: p2 can see 1 gold image in 5 (the public ones), so it steps over
     * 4 (2 reads each) per row; a non-aligned sort also reads the whole run of equal first-key
     * values it stops in (size takes 97 values, name 300).
     */
    private static long bound(String what, int rows, int limit) {
        if (what.startsWith("tag filter, member")) return 12L * limit + 20;
        if (what.startsWith("size then name sort")) return 2L * 2 * (IMAGES / 97 + 1) + 20;
        if (what.startsWith("name filter, size sort")) return 3L * (IMAGES / 300) + 20;
        return 3L * Math.max(rows, 1) + 20;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"25", "1000"})
    @DisplayName("following next markers through the whole list visits every visible image once")
    void pagingThroughEverything(int limit) {
        Identity caller = new Identity("p1", "root", List.of("admin"));
        String marker = null;
        int total = 0;
        for (int pages = 0; pages < IMAGES; pages++) {
            ListParams.Parsed p = ListParams.parse(caller, ListParamsTest.query(
                    "sort=name:asc&limit=" + limit + (marker == null ? "" : "&marker=" + marker)));
            ImagePage page = ImageLister.list(f.store, p.request()).value(ImagePage.class);
            total += page.images().size();
            if (!page.full()) break;
            marker = page.images().get(page.images().size() - 1).id();
        }
        assertEquals(IMAGES, total);
    }
}
