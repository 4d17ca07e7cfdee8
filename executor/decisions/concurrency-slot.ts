/**
 * Which of a tenant's `limits.concurrency` slots an activation takes, and what to do when none is
 * free. Pure functions of what was read from `kiln_slots`, the time and a random number; the I/O is
 * in `concurrency-slots.ts`.
 *
 * A slot is a key `<tenant>.<index>` that exists only while an activation holds it. Its value is a
 * lease like the instance's: it holds until `expiresAt` by the reader's clock unless renewed, so a
 * slot of a crashed executor frees itself. Only slots below the current limit count: after the limit
 * is lowered, activations in higher slots run to their end and nobody takes those slots again.
 */
import { isConcurrencyWaitCurrent, type InstanceRecord } from "../../contract/mod.ts";

/** The value of a held slot. */
export interface SlotLease {
  /** The executor running the activation. */
  readonly owner: string;
  /** `<workflow>/<instance>` of the activation, for an operator reading the bucket. */
  readonly instance: string;
  readonly expiresAt: number;
}

/** One slot as read. */
export interface SlotState {
  readonly index: number;
  /** Absent when the key does not exist, or holds a delete marker. */
  readonly lease?: SlotLease;
  /** The key's revision, absent when the key does not exist: what a compare-and-set must expect. */
  readonly revision?: number;
}

export type SlotChoice =
  /** Create the key (expecting it not to exist). */
  | { do: "create"; index: number }
  /** Replace an expired lease or a delete marker (expecting `revision`). */
  | { do: "take-over"; index: number; revision: number }
  /** Every slot is held: nak the message with this delay; the executor pauses the tenant as long. */
  | { do: "wait"; delayMs: number };

/** Slots read at once when the first try finds its slot taken: a limit of 100 is not read whole. */
export const SLOT_READ_WINDOW = 32;

/**
 * How long a message waits when the tenant is at its limit: short, so a freed slot is used soon,
 * with jitter so the waiting messages of several executors do not come back in lockstep.
 */
export const FULL_RETRY_MS = 250;
export const FULL_RETRY_JITTER_MS = 250;

/**
 * The slot to try first, before reading anything: the one this executor last released for the tenant
 * (nobody else aims at it) while it is under the limit, else a random one, so executors spread out.
 * In the common case — a free slot — the acquire is this one create.
 */
export function firstSlot(limit: number, lastReleased: number | undefined, random: number): number {
  if (lastReleased !== undefined && lastReleased < limit) return lastReleased;
  return Math.floor(random * limit) % limit;
}

/**
 * The slots to read after the first try failed: all of them up to `SLOT_READ_WINDOW`, else a window
 * of that many starting at a random slot (wrapping around).
 */
export function slotsToRead(limit: number, random: number): number[] {
  if (limit <= SLOT_READ_WINDOW) return Array.from({ length: limit }, (_, index) => index);
  const start = Math.floor(random * limit) % limit;
  return Array.from({ length: SLOT_READ_WINDOW }, (_, offset) => (start + offset) % limit);
}

/** Whether nobody holds the slot at `now`: no key, or a lease its holder stopped renewing. */
export function isSlotFree(slot: SlotState, now: number): boolean {
  return slot.lease === undefined || slot.lease.expiresAt <= now;
}

/**
 * What to try after reading `slots`: a free slot, picked at random so that executors reading the same
 * picture at once aim at different ones; else wait. A window with no free slot counts as full even if
 * slots outside it are free: near its limit a tenant's message may wait one round longer than it had
 * to, but never runs over the limit.
 */
export function chooseSlot(slots: readonly SlotState[], limit: number, now: number, random: number): SlotChoice {
  const free = slots.filter((slot) => slot.index < limit && isSlotFree(slot, now));
  if (free.length === 0) return { do: "wait", delayMs: fullRetryDelayMs(random) };
  const slot = free[Math.floor(random * free.length) % free.length]!;
  return slot.revision === undefined ? { do: "create", index: slot.index } : { do: "take-over", index: slot.index, revision: slot.revision };
}

/**
 * The record saying that it waits for one of its tenant's `limit` slots, for the status view; or
 * `undefined` when it says so already (a message that keeps finding the tenant full writes once per
 * wait, and again only after the record changed or the limit did).
 */
export function markConcurrencyWait(record: InstanceRecord, limit: number, now: number): InstanceRecord | undefined {
  if (isConcurrencyWaitCurrent(record) && record.concurrencyWait?.limit === limit) return undefined;
  return { ...record, updatedAt: now, concurrencyWait: { limit, since: now } };
}

/**
 * How long a slot this executor released stays held for its tenant's next activation here, instead
 * of being freed and taken again (a stream purge and a KV write, with nats-server's answers, per
 * activation). Short: a tenant whose messages are waiting on this executor takes it back within
 * microseconds, and another executor waits at most this much longer for it.
 */
export const KEEP_SLOT_MS = 20;

/** A slot this executor released and keeps for a moment, with the expiry of the lease it last wrote. */
export interface KeptSlot {
  readonly index: number;
  readonly expiresAt: number;
}

/**
 * Which kept slot the tenant's next activation takes instead of writing one (its index in `kept`):
 * one under the current limit whose lease leaves at least half of `leaseMs`, so the activation's
 * first renewal (every third of the lease at most) comes in time. `undefined` if none can be used.
 */
export function reusableSlot(kept: readonly KeptSlot[], limit: number, now: number, leaseMs: number): number | undefined {
  const at = kept.findIndex((slot) => slot.index < limit && slot.expiresAt - now >= leaseMs / 2);
  return at === -1 ? undefined : at;
}

/** The nak delay of a message whose tenant is at its limit. */
export function fullRetryDelayMs(random: number): number {
  return FULL_RETRY_MS + Math.floor(random * FULL_RETRY_JITTER_MS);
}

/** The lease an activation writes when it takes or renews a slot. */
export function slotLease(owner: string, instance: string, now: number, leaseMs: number): SlotLease {
  return { owner, instance, expiresAt: now + leaseMs };
}
