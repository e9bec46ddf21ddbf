package io.glint.node.audit;

import io.glint.registry.RegistryClient;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which images a chunk belongs to, for the log lines and reports of the auditor. The registry keeps
 * no index from chunks to images, so this reads image records in id order and the manifests of
 * those that hold data, from this node's local copy, and stops after {@code imagesMax} records: on
 * a registry with more images the answer may be incomplete, and says so.
 */
public final class ChunkOwners {
    /** Records one scan call reads. */
    private static final int PAGE = 1_000;

    private ChunkOwners() {}

    /**
     * @param images   chunk id -> ids of the images whose manifests list it (every asked id is a key)
     * @param complete false when the lookup stopped at its bound or the registry did not answer
     */
    public record Owners(Map<String, List<String>> images, boolean complete) {
        public List<String> of(String chunkId) {
            return images.getOrDefault(chunkId, List.of());
        }
    }

    /** The images listing each of {@code chunkIds}, reading at most {@code imagesMax} image records. */
    public static Owners find(RegistryClient registry, Collection<String> chunkIds, int imagesMax) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String id : chunkIds) out.put(id, new ArrayList<>());
        if (chunkIds.isEmpty()) return new Owners(out, true);
        Set<String> wanted = new HashSet<>(chunkIds);
        String after = null;
        int read = 0;
        while (read < imagesMax) {
            Result r = registry.readLocal(new Query.ScanImages(after, null, Math.min(PAGE, imagesMax - read)));
            if (!r.isOk()) return new Owners(out, false);
            Payload.ImageScan page = r.value(Payload.ImageScan.class);
            read += Math.min(PAGE, imagesMax - read);
            for (Image image : page.images()) {
                if (!holdsData(image.status())) continue;
                Result m = registry.readLocal(new Query.GetManifest(image.id()));
                if (!m.isOk()) continue;
                Set<String> seen = new HashSet<>();
                for (ChunkInfo c : m.value(ChunkManifest.class).chunks()) {
                    if (wanted.contains(c.id()) && seen.add(c.id())) out.get(c.id()).add(image.id());
                }
            }
            if (page.nextAfter() == null) return new Owners(out, true);
            after = page.nextAfter();
        }
        return new Owners(out, false);
    }

    private static boolean holdsData(ImageStatus s) {
        return s != ImageStatus.DELETED && s != ImageStatus.QUEUED && s != ImageStatus.SAVING && s != ImageStatus.KILLED;
    }
}
