/**
 * What a work message means when it arrives: drop it, look again later, or claim the instance for an
 * activation. A pure function of the instance record, the message and the time; the runner does the
 * compare-and-set and settles the message.
 */
import { FINAL_STATUSES, isLeaseLive, type EnvelopeReason, type InstanceRecord } from "../../contract/mod.ts";
import { decideExpiry, type ExpiryDecision, type RetentionPolicy } from "./retention.ts";
import { decideStartWithoutRecord, type StartWithoutRecordDecision } from "./start-without-record.ts";

/** How long to wait before looking again at an instance another activation is running. */
export const BUSY_RETRY_MS = 200;

export type ClaimDecision =
  /** The message no longer matters: ack it. */
  | { do: "drop"; why: string }
  /** Not now: nak it with this delay. */
  | { do: "later"; delayMs: number; why: string }
  /** Write `next` (compare-and-set on the revision read) and run an activation. */
  | { do: "claim"; next: InstanceRecord }
  /** A final instance: remove it, or keep its expiry timer (retention.ts). */
  | Extract<ExpiryDecision, { do: "expire" | "park" }>
  /** A start queued before its record finds none of its own: read again, later, or discard (start-without-record.ts). */
  | Extract<StartWithoutRecordDecision, { do: "reread" | "discard" }>;

export interface ClaimPolicy {
  /** This executor's identity in leases. */
  owner: string;
  leaseMs: number;
  /** The tenant's retention defaults. */
  retention: RetentionPolicy;
}

export interface ClaimMessage {
  reason: EnvelopeReason;
  /** The message's stream sequence: identifies the timer carrier. */
  seq: number;
  /** The envelope's `createdAt`: the message starts the record of that create, queued before it. */
  createdAt?: number;
  /** How often this delivery has read the record again while waiting for it. @default 0 */
  rereads?: number;
}

export function decideClaim(record: InstanceRecord | undefined, message: ClaimMessage, now: number, policy: ClaimPolicy): ClaimDecision {
  // Before anything the record says: a record of another create of the same id is not this one's.
  if (message.createdAt !== undefined && record?.createdAt !== message.createdAt) {
    return decideStartWithoutRecord(message.createdAt, message.rereads ?? 0, now);
  }
  if (!record) return { do: "drop", why: "the instance no longer exists" };
  if (FINAL_STATUSES.has(record.status)) return decideExpiry(record, message.seq, now, policy.retention);
  if (record.status === "paused") return { do: "drop", why: "the instance is paused; resume enqueues it again" };
  // A live lease is busy whoever holds it: a message redelivered after ack_wait can reach the
  // executor that is still running the first copy, and its own lease must not let it run twice.
  if (isLeaseLive(record, now)) return { do: "later", delayMs: BUSY_RETRY_MS, why: "another activation is running the instance" };
  if (record.wake && record.wake.at > now) {
    // Redelivered early (after a restart, say): a timer never fires before it is due.
    if (record.wake.carrierSeq === message.seq) return { do: "later", delayMs: record.wake.at - now, why: "the timer is not due yet" };
    // Only news can wake a suspended instance early; its journal keeps the timer anyway.
    if (message.reason !== "event" && message.reason !== "resume") return { do: "drop", why: "another message carries the instance's timer" };
  }
  const next: InstanceRecord = {
    ...record,
    status: "running",
    updatedAt: now,
    lease: { owner: policy.owner, expiresAt: now + policy.leaseMs },
    concurrencyWait: undefined,
    ...(record.activations === undefined ? {} : { activations: record.activations + 1 }),
  };
  return { do: "claim", next };
}
