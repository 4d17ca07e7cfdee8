/** Errors of the shared NATS stores; the gateway maps them to HTTP in one place. */

/** A compare-and-set lost against a concurrent writer; re-read and try again. */
export class RevisionConflictError extends Error {
  override name = "RevisionConflictError";
}

/** A write-once key already holds a value. */
export class AlreadyExistsError extends Error {
  override name = "AlreadyExistsError";
}

/** nats.js reports a failed `create` / `update` as a JetStream API error about the last sequence. */
export function isWrongLastSequence(error: unknown): boolean {
  const text = String((error as { message?: unknown })?.message ?? error);
  return /wrong last sequence|key exists/i.test(text);
}
