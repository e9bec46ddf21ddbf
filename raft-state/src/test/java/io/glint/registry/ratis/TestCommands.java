package io.glint.registry.ratis;

import io.glint.registry.command.Command;
import io.glint.registry.model.Identity;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.Query;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Commands and queries the Ratis tests propose; timestamps are fixed so runs are reproducible. */
public final class TestCommands {
    public static final Identity P1 = Identity.member("p1");
    public static final long NOW_MILLIS = 1_700_000_000_000L;
    private static final AtomicLong SEQ = new AtomicLong();

    private TestCommands() {}

    /** A fresh, unique image id (a UUID, as the registry requires). */
    public static String newImageId() {
        return new UUID(0x61a7_0000_0000_4000L, 0x8000_0000_0000_0000L | SEQ.incrementAndGet()).toString();
    }

    /** A queued private image of project p1 with disk and container formats set (ready for upload). */
    public static Command.CreateImage create(String imageId) {
        return new Command.CreateImage(P1, NOW_MILLIS, imageId, "image-" + imageId.substring(24), Visibility.PRIVATE,
                false, false, "p1", 0, 0, "bare", "raw", List.of(), Map.of());
    }

    public static Command.BeginUpload beginUpload(String imageId, String leaseId, String coordinator) {
        return new Command.BeginUpload(P1, NOW_MILLIS + 1, imageId, UploadKind.UPLOAD, leaseId, coordinator,
                NOW_MILLIS + 600_000);
    }

    public static Query.GetImageRecord record(String imageId) {
        return new Query.GetImageRecord(imageId);
    }
}
