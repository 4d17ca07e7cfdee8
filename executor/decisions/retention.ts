/**
 * How long a finished instance is kept, and the timer that removes it. The same timer design as a
 * sleep (nats-server 2.9 has no scheduled messages): the work message that made the instance final is
 * nak'd with the retention and becomes the expiry's carrier (`wake` on a final record); when it comes
 * back due, the executor removes the instance's record, journal, inbox and log lines.
 */
import type { InstanceRecord } from "../../contract/mod.ts";

/** The tenant's defaults (settings `retention`), used where the instance did not ask for its own. */
export interface RetentionPolicy {
  successMs: number;
  errorMs: number;
}

/** Complete instances keep the success retention; errored and terminated ones the error retention. */
export function retentionMs(record: InstanceRecord, defaults: RetentionPolicy): number {
  return record.status === "complete" ? (record.retention?.successMs ?? defaults.successMs) : (record.retention?.errorMs ?? defaults.errorMs);
}

/** `final` (a record just made final at `now`) with its expiry timer on message `messageSeq`. */
export function withExpiry(final: InstanceRecord, defaults: RetentionPolicy, messageSeq: number, now: number): { next: InstanceRecord; delayMs: number } {
  const delayMs = retentionMs(final, defaults);
  return { next: { ...final, wake: { at: now + delayMs, carrierSeq: messageSeq } }, delayMs };
}

export type ExpiryDecision =
  | { do: "expire" }
  | { do: "drop"; why: string }
  | { do: "later"; delayMs: number; why: string }
  /** Write `next` (the expiry timer on this message) and nak the message for `delayMs`. */
  | { do: "park"; next: InstanceRecord; delayMs: number };

/** What a work message for a final instance means. */
export function decideExpiry(record: InstanceRecord, messageSeq: number, now: number, defaults: RetentionPolicy): ExpiryDecision {
  const at = record.wake?.at ?? record.updatedAt + retentionMs(record, defaults);
  if (at <= now) return { do: "expire" };
  // Made final without a message in hand (terminated while idle): this message becomes the timer.
  if (!record.wake) return { do: "park", next: { ...record, wake: { at, carrierSeq: messageSeq } }, delayMs: at - now };
  if (record.wake.carrierSeq === messageSeq) return { do: "later", delayMs: at - now, why: "the retention has not run out" };
  return { do: "drop", why: `the instance is ${record.status}` };
}
