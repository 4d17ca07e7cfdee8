/** Errors of the shared NATS stores, and what nats.js's errors mean for the caller. */
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";

/** A compare-and-set lost against a concurrent writer; re-read and try again. */
export class RevisionConflictError extends Error {
  override name = "RevisionConflictError";
}

/** A write-once key already holds a value. */
export class AlreadyExistsError extends Error {
  override name = "AlreadyExistsError";
}

/** A store refused to hold more than its limit of something; the message names the limit. */
export class LimitReachedError extends Error {
  override name = "LimitReachedError";
}

/** A KV `create` / `update` refused because the key's revision is not the expected one (API code 10071 / 10164). */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * NATS could not be reached or did not answer in time: nothing about the request was wrong, so the
 * same request may succeed later. A JetStream API error with a 5xx status (e.g. 503, no leader during
 * a cluster election) counts too.
 */
export function isNatsUnavailable(error: unknown): boolean {
  if (
    error instanceof TimeoutError ||
    error instanceof NoRespondersError ||
    error instanceof ConnectionError ||
    error instanceof ClosedConnectionError ||
    error instanceof DrainingConnectionError ||
    error instanceof RequestError
  ) {
    return true;
  }
  return error instanceof JetStreamApiError && error.status >= 500;
}
