package io.glint.registry.store;

import java.util.Locale;

/**
 * The registry's tables; each is one RocksDB column family (DESIGN §3). Keys and values are
 * bytes; keys compare as unsigned bytes, in every store.
 */
public enum Table {
    /** applied term/index and cluster settings */
    META,
    /** imageId -> Image (tombstones of deleted images stay, so ids are never reused) */
    IMAGES,
    /** imageId -> ChunkManifest */
    MANIFESTS,
    /** imageId 0 memberId -> Member */
    MEMBERS,
    /** memberId 0 imageId -> MemberStatus name (images shared with a project) */
    SHARED_WITH,
    /** pg (4 bytes) chunkId -> reference count (8 bytes) */
    CHUNKREFS,
    /** nodeId -> NodeInfo */
    NODES,
    /** taskId -> Task */
    TASKS,
    /** imageId 0 taskId -> empty */
    IMAGE_TASKS,
    /** imageId -> UploadLease */
    UPLOADS,
    /** auditId -> AuditMark */
    AUDITS,
    /** auditId -> AuditReport (the coordinator's latest report of that audit) */
    AUDIT_REPORTS,
    /** secondary index: sort key, value, created_at, id -> empty (see query.Indexes) */
    IDX_SORT,
    /** secondary index: filter attribute, value, created_at, id -> empty (see query.Indexes) */
    IDX_ATTR;

    /** Column family name. */
    public String cfName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
