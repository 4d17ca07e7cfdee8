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
 * a cluster election) counts too, and so does an error caused by one of these: a publish to a stream
 * whose leader just died has no responder until the cluster elects another, and nats.js reports that
 * as "jetstream is not enabled" with the no-responders error as its cause (seen in
 * test/faults/cluster.test.ts, where the gateway answered an event with 500 instead of 503).
 */
export function isNatsUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++, current = current.cause) {
    if (isUnavailableItself(current)) return true;
  }
  return false;
}

function isUnavailableItself(error: Error): boolean {
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
