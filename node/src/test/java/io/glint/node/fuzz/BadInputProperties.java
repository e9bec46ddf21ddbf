package io.glint.node.fuzz;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;

/**
 * The bad-input property (fault matrix rows 25, 27, 28, 30): generated malformed JSON,
 * wrong JSON types, unknown / reserved / read-only attributes, ids that are no image id (traversal
 * included) in every image route, nasty member ids and tags, bad patch documents, bad Range and
 * Content-Type headers, bad list parameters and oversized request heads, each sent over real HTTP
 * to one seeded node. For every one: a 4xx among those Glance gives (never a 5xx), an error body
 * in the format the Accept header asks for, the registry unchanged, no file touched, and the server
 * still serving (see {@link BadInputTarget#check}). Framing lies (Content-Length, chunked) are in
 * {@link BadInputCasesTest}, which needs a socket per case.
 */
class BadInputProperties {
    private static BadInputTarget target;

    @BeforeContainer
    static void start() throws IOException {
        target = BadInputTarget.start(Files.createTempDirectory("glint-bad-input"));
    }

    @AfterContainer
    static void stop() {
        if (target != null) target.close();
    }

    @Property(tries = 300)
    void malformedJsonIsA400(@ForAll("malformedJson") Probe p) {
        target.check(p);
    }

    @Property(tries = 250)
    void wrongTypesInCreateAreA400(@ForAll("wrongTypesInCreate") Probe p) {
        target.check(p);
    }

    @Property(tries = 250)
    void wrongTypesInPatchAreA400(@ForAll("wrongTypesInPatch") Probe p) {
        target.check(p);
    }

    @Property(tries = 200)
    void readOnlyReservedAndUnknownAttributesAreRefused(@ForAll("forbiddenFieldsInCreate") Probe p) {
        target.check(p);
    }

    @Property(tries = 300)
    void badPatchDocumentsAreRefusedWhole(@ForAll("badPatchDocuments") Probe p) {
        target.check(p);
    }

    @Property(tries = 100)
    void patchesTheImageStateRefusesChangeNothing(@ForAll("refusedPatches") Probe p) {
        target.check(p);
    }

    @Property(tries = 300)
    void noImageIdIsA404OnEveryRoute(@ForAll("invalidImageIds") Probe p) {
        target.check(p);
    }

    @Property(tries = 200)
    void nastyMemberIdsAndTagsMatchNothing(@ForAll("nastyMembersAndTags") Probe p) {
        target.check(p);
    }

    @Property(tries = 100)
    void badMemberBodiesAreA400(@ForAll("badMemberBodies") Probe p) {
        target.check(p);
    }

    @Property(tries = 250)
    void badRangesAre416Or400(@ForAll("badRangeDownloads") Probe p) {
        target.check(p);
    }

    @Property(tries = 200)
    void badContentTypesAreA415(@ForAll("badContentTypes") Probe p) {
        target.check(p);
    }

    @Property(tries = 250)
    void badListParametersAreA400(@ForAll("badListQueries") Probe p) {
        target.check(p);
    }

    @Property(tries = 60)
    void oversizedRequestHeadsAre431Or414(@ForAll("oversizedHeads") Probe p) {
        target.check(p);
    }

    @Provide
    Arbitrary<Probe> malformedJson() {
        return BadInputs.malformedJson(target);
    }

    @Provide
    Arbitrary<Probe> wrongTypesInCreate() {
        return BadInputs.wrongTypesInCreate();
    }

    @Provide
    Arbitrary<Probe> wrongTypesInPatch() {
        return BadInputs.wrongTypesInPatch(target);
    }

    @Provide
    Arbitrary<Probe> forbiddenFieldsInCreate() {
        return BadInputs.forbiddenFieldsInCreate();
    }

    @Provide
    Arbitrary<Probe> badPatchDocuments() {
        return BadInputs.badPatchDocuments(target);
    }

    @Provide
    Arbitrary<Probe> refusedPatches() {
        return BadInputs.refusedPatches(target);
    }

    @Provide
    Arbitrary<Probe> invalidImageIds() {
        return BadInputs.invalidImageIds(target);
    }

    @Provide
    Arbitrary<Probe> nastyMembersAndTags() {
        return BadInputs.nastyMembersAndTags(target);
    }

    @Provide
    Arbitrary<Probe> badMemberBodies() {
        return BadInputs.badMemberBodies(target);
    }

    @Provide
    Arbitrary<Probe> badRangeDownloads() {
        return BadInputs.badRangeDownloads(target);
    }

    @Provide
    Arbitrary<Probe> badContentTypes() {
        return BadInputs.badContentTypes(target);
    }

    @Provide
    Arbitrary<Probe> badListQueries() {
        return BadInputs.badListQueries(target);
    }

    @Provide
    Arbitrary<Probe> oversizedHeads() {
        return BadInputs.oversizedHeads();
    }
}
