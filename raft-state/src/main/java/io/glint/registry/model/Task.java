package io.glint.registry.model;

import java.util.List;

/**
 * An asynchronous task (spec §4.13-§4.14). {@code inputJson} and {@code resultJson} hold the JSON
 * documents the API shows verbatim; the registry does not interpret them.
 */
public record Task(String id, String type, TaskStatus status, String owner, String imageId, String requestId,
                   String userId, String inputJson, String resultJson, String message, long createdAtMillis,
                   long updatedAtMillis, Long expiresAtMillis) implements Payload {

    public record Tasks(List<Task> tasks) implements Payload {
        public Tasks {
            tasks = List.copyOf(tasks);
        }
    }
}
