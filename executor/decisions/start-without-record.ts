/**
 * A start message queued before its instance record (contract/create-order.ts) that finds no record
 * of its own: none at all, or one another create of the same id wrote (its `createdAt` differs).
 * Either the gateway's write is on its way — it is usually a millisecond behind the publish, so look
 * again in a moment — or that create will never complete (its gateway died, gave up, or found the id
 * taken): once the message is older than any gateway may still write the record, it is discarded.
 * A foreign record is waited for like a missing one: it may be deleted and this create's written
 * after it, within the gateway's deadline.
 */
import { CREATE_DEADLINE_MS, ORPHAN_START_GRACE_MS } from "../../contract/mod.ts";

/**
 * In-process re-reads of the record before the message goes back with a delay: at once (the read's
 * own round trip is about what the gateway's write is behind), then after 1, 2, 4 … 64 ms.
 */
export const MAX_RECORD_REREADS = 8;

/** The shortest delay a start waiting for its record is nak'd with; later ones grow with its age. */
export const MIN_RECORD_WAIT_MS = 250;

export type StartWithoutRecordDecision =
  /** Read the record again after `delayMs`, holding the message. */
  | { do: "reread"; delayMs: number; why: string }
  /** Nak the message with this delay and decide again when it comes back. */
  | { do: "later"; delayMs: number; why: string }
  /** Remove the message from the stream; if this executor removed it, give its quota slot back. */
  | { do: "discard"; why: string };

/**
 * `createdAt` is the create's (from the envelope), `rereads` how often this delivery has read the
 * record again already. Waits double with the message's age, so an orphan costs a handful of
 * deliveries before it is discarded, and a start whose record is a moment late costs milliseconds.
 */
export function decideStartWithoutRecord(createdAt: number, rereads: number, now: number): StartWithoutRecordDecision {
  const ageMs = now - createdAt;
  if (ageMs >= ORPHAN_START_GRACE_MS) {
    return { do: "discard", why: `its instance record never appeared in ${ORPHAN_START_GRACE_MS} ms: the create did not complete and was never answered 201` };
  }
  if (rereads < MAX_RECORD_REREADS) {
    return { do: "reread", delayMs: rereads === 0 ? 0 : 2 ** (rereads - 1), why: "the gateway writes the record right after the start" };
  }
  return {
    do: "later",
    delayMs: Math.max(1, Math.min(Math.max(ageMs, MIN_RECORD_WAIT_MS), ORPHAN_START_GRACE_MS - ageMs)),
    why: "its instance record is not there yet",
  };
}

/** What a discarded start's instance key holds when it is discarded. */
export type RecordTrace =
  /** Nothing was ever written there. */
  | { kind: "never" }
  /** The mark a removed record leaves (`DELETE`, expiry), with the time of removal. */
  | { kind: "removed"; at: number }
  /** Another create's record. */
  | { kind: "record"; createdAt: number };

/** How far the clocks of gateways, executors and NATS may disagree (contract/create-order.ts). */
const CLOCK_MARGIN_MS = ORPHAN_START_GRACE_MS - CREATE_DEADLINE_MS;

/**
 * Whether the executor that removed a discarded start (`createdAt` its create's) gives back the slot
 * the gateway took for it: only if that create certainly never wrote its record. A record it wrote
 * and that was deleted since had its slot given back by whoever deleted it, so the trace must
 * predate the create: nothing ever, a removal from before it, or a record created before it (which
 * made this create's write fail). Anything else keeps the slot until the tenant's next recount:
 * high, never low.
 */
export function discardReleasesSlot(trace: RecordTrace, createdAt: number): boolean {
  switch (trace.kind) {
    case "never":
      return true;
    case "removed":
      return trace.at < createdAt - CLOCK_MARGIN_MS;
    case "record":
      return trace.createdAt < createdAt - CLOCK_MARGIN_MS;
  }
}
