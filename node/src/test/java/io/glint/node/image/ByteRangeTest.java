package io.glint.node.image;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Spec §4.7 Range rules, one row per case: header, image size, outcome, first, last. */
class ByteRangeTest {
    @ParameterizedTest(name = "[{0}] of {1} -> {2} {3}-{4}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            // no header: whole image
            "NULL              | 100 | WHOLE         |     |",
            "'   '             | 100 | WHOLE         |     |",
            // bytes=a-b
            "bytes=0-0         | 100 | PARTIAL       | 0   | 0",
            "bytes=0-99        | 100 | PARTIAL       | 0   | 99",
            "bytes=10-19       | 100 | PARTIAL       | 10  | 19",
            "bytes=10-500      | 100 | PARTIAL       | 10  | 99",
            "bytes=99-99       | 100 | PARTIAL       | 99  | 99",
            "' bytes = 5 - 7 ' | 100 | PARTIAL       | 5   | 7",
            "BYTES=5-7         | 100 | PARTIAL       | 5   | 7",
            "bytes=5-99999999999999999999999 | 100 | PARTIAL | 5 | 99",
            // bytes=a-
            "bytes=0-          | 100 | PARTIAL       | 0   | 99",
            "bytes=42-         | 100 | PARTIAL       | 42  | 99",
            // bytes=-n
            "bytes=-1          | 100 | PARTIAL       | 99  | 99",
            "bytes=-10         | 100 | PARTIAL       | 90  | 99",
            "bytes=-100        | 100 | PARTIAL       | 0   | 99",
            "bytes=-1000       | 100 | PARTIAL       | 0   | 99",
            "bytes=-99999999999999999999999 | 100 | PARTIAL | 0 | 99",
            // several ranges: 400
            "'bytes=0-1,5-6'   | 100 | MULTIPLE      |     |",
            "'bytes=0-1, 5-6'  | 100 | MULTIPLE      |     |",
            "'garbage,'        | 100 | MULTIPLE      |     |",
            // start at or past the end: 416
            "bytes=100-        | 100 | UNSATISFIABLE |     |",
            "bytes=100-200     | 100 | UNSATISFIABLE |     |",
            "bytes=0-          | 0   | UNSATISFIABLE |     |",
            "bytes=-5          | 0   | UNSATISFIABLE |     |",
            "bytes=99999999999999999999999- | 100 | UNSATISFIABLE | |",
            // unparsable: 416
            "bytes=-0          | 100 | UNSATISFIABLE |     |",
            "bytes=5-4         | 100 | UNSATISFIABLE |     |",
            "bytes=-           | 100 | UNSATISFIABLE |     |",
            "bytes=5           | 100 | UNSATISFIABLE |     |",
            "bytes=a-b         | 100 | UNSATISFIABLE |     |",
            "bytes=--5         | 100 | UNSATISFIABLE |     |",
            "bytes=+5-6        | 100 | UNSATISFIABLE |     |",
            "items=0-5         | 100 | UNSATISFIABLE |     |",
            "0-5               | 100 | UNSATISFIABLE |     |",
            "bytes             | 100 | UNSATISFIABLE |     |",
    })
    void parsesTheRangeHeaderAsTheSpecSays(String header, long size, ByteRange.Outcome outcome, Long first, Long last) {
        ByteRange.Parsed parsed = ByteRange.parse(header, size);
        assertEquals(outcome, parsed.outcome());
        if (outcome == ByteRange.Outcome.PARTIAL) {
            assertEquals(new ByteRange(first, last), parsed.range());
        } else {
            assertNull(parsed.range());
        }
    }

    @ParameterizedTest
    @CsvSource({"WHOLE, 200", "PARTIAL, 206", "MULTIPLE, 400", "UNSATISFIABLE, 416"})
    void eachOutcomeCarriesItsStatus(ByteRange.Outcome outcome, int status) {
        assertEquals(status, outcome.httpStatus());
    }

    @ParameterizedTest
    @CsvSource({"0, 9, 100, bytes 0-9/100", "90, 99, 100, bytes 90-99/100"})
    void contentRangeNamesFirstLastAndSize(long first, long last, long size, String expected) {
        assertEquals(expected, new ByteRange(first, last).contentRange(size));
    }
}
