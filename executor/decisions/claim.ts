/**
 * What a work message means when it arrives: drop it, look again later, or claim the instance for an
 * activation. A pure function of the instance record, the message and the time; the runner does the
 * compare-and-set and settles the message.
 */
import { FINAL_STATUSES, isLeaseLive, restartedRecord, resumedRecord, type Envelope, type EnvelopeReason, type InstanceRecord } from "../../contract/mod.ts";
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
  /**
   * Apply the resume or restart the message carries, which its gateway has not written yet
   * (contract/lifecycle-order.ts): write `next` (compare-and-set on the revision read), then decide
   * again. A restart (`next` of a later generation) also purges what the runs before it left.
   */
  | { do: "apply"; next: InstanceRecord; why: string }
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
  /** The envelope's `change`: the resume or restart it carries (contract/lifecycle-order.ts). */
  change?: Envelope["change"];
}

/** The instance record as read, with its KV revision. */
export interface ReadRecord {
  record: InstanceRecord;
  revision: number;
}

export function decideClaim(read: ReadRecord | undefined, message: ClaimMessage, now: number, policy: ClaimPolicy): ClaimDecision {
  const record = read?.record;
  // Before anything the record says: a record of another create of the same id is not this one's.
  if (message.createdAt !== undefined && record?.createdAt !== message.createdAt) {
    return decideStartWithoutRecord(message.createdAt, message.rereads ?? 0, now);
  }
  if (!read || !record) return { do: "drop", why: "the instance no longer exists" };
  if (message.change) {
    const changed = decideChange(read, message.reason, message.change, now);
    if (changed) return changed;
  }
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

/**
 * The resume or restart a message carries, against the record as read: apply it if the record is
 * still at the revision it was decided from, drop a restart that can no longer apply, and leave
 * anything else (the change already written, by its gateway or another executor) to the rules for
 * any message (`undefined`).
 */
function decideChange(
  { record, revision }: ReadRecord,
  reason: EnvelopeReason,
  change: NonNullable<Envelope["change"]>,
  now: number,
): ClaimDecision | undefined {
  const current = revision === change.fromRevision;
  if (reason === "resume") {
    // Not current and still paused: paused again since, which this resume came before.
    return current && record.status === "paused" ? { do: "apply", next: resumedRecord(record, now), why: "its gateway had not resumed it yet" } : undefined;
  }
  if (reason !== "restart" || change.generation === undefined || record.generation >= change.generation) return undefined;
  if (current && record.generation === change.generation - 1) {
    return { do: "apply", next: restartedRecord(record, change.keptSteps ?? 0, now), why: "its gateway had not restarted it yet" };
  }
  return { do: "drop", why: "the instance changed after this restart was decided, so it never applied; its gateway decided again or gave up" };
}

/**
 * Whether a message most likely brings back an instance that ran before in the same generation: a
 * start delivered again carries the instance's timer (a sleep, a retry's backoff), and an event,
 * retry, resume or wake finds it suspended. Not a start's first delivery (nothing ran yet), nor a
 * restart (a new generation). A wrong guess costs one get, or one refused write.
 */
export function isReturning(reason: EnvelopeReason, redelivered: boolean): boolean {
  if (reason === "start") return redelivered;
  return reason !== "restart";
}
