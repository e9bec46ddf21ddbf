package io.glint.registry.query;

import io.glint.registry.machine.MachineHarness;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A download's one read ({@link Query.GetImageData}): the image exactly as {@link Query.GetImage}
 * answers it, with the manifest its data was committed with, or no manifest while it has none.
 */
class ImageDataQueryTest {
    private final MachineHarness h = new MachineHarness();

    private Result run(Query q) {
        return QueryEngine.run(h.store, h.index(), q);
    }

    @Test
    void anActiveImageComesWithTheManifestItsDataWasCommittedWith() {
        h.active(ALICE, uuid(1), 1, 2, 3);
        Payload.ImageData d = run(new Query.GetImageData(ALICE, uuid(1))).value(Payload.ImageData.class);
        assertEquals(run(new Query.GetImage(ALICE, uuid(1))).value(io.glint.registry.model.Image.class), d.image());
        assertEquals(ImageStatus.ACTIVE, d.image().status());
        assertEquals(h.manifest(uuid(1)), d.manifest());
        assertEquals(3, d.manifest().chunks().size());
    }

    @Test
    void anImageWithoutDataHasNoManifest() {
        h.queued(ALICE, uuid(2));
        Payload.ImageData d = run(new Query.GetImageData(ALICE, uuid(2))).value(Payload.ImageData.class);
        assertEquals(ImageStatus.QUEUED, d.image().status());
        assertNull(d.manifest());
    }

    @Test
    void whoCanNotSeeTheImageGetsNotFoundAsForGetImage() {
        h.queued(ALICE, uuid(3), Visibility.PRIVATE);
        for (String id : new String[]{uuid(3), uuid(9)}) {
            Result data = run(new Query.GetImageData(BOB, id));
            assertEquals(Result.Code.NOT_FOUND, data.code(), id);
            assertEquals(run(new Query.GetImage(BOB, id)).code(), data.code(), id);
        }
        assertEquals(Result.Code.OK, run(new Query.GetImageData(ADMIN, uuid(3))).code(), "an admin sees every image");
    }
}
