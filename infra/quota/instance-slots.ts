/**
 * The count of a tenant's live instances (not errored, terminated or complete) as slots: reserved
 * before an instance is created (or a final one restarted), released by whoever makes it final.
 * Pure: the quota store applies these to the tenant's quota record with compare-and-set writes.
 *
 * Every step that can be cut short by a crash leaves the count too high, never too low: a slot is
 * reserved before its record is written and released after the record is final, and only the
 * compare-and-set that made the record final releases it, so a slot is never released twice. A
 * reconciliation later gives the leaked slots back (`reconcileSlots`).
 */
import { CREATE_DEADLINE_MS, FINAL_STATUSES, type InstanceRecord, type QuotaRecord } from "../../contract/mod.ts";

/** Whether writing `next` over `current` makes the instance final: the one write that releases its slot. */
export const becomesFinal = (current: InstanceRecord, next: InstanceRecord | undefined): boolean =>
  next !== undefined && !FINAL_STATUSES.has(current.status) && FINAL_STATUSES.has(next.status);

export const liveInstances = (quota: QuotaRecord): number => Math.max(0, quota.admitted - quota.released);

export const reserveSlots = (quota: QuotaRecord, count: number): QuotaRecord => ({ ...quota, admitted: quota.admitted + count });

/** Never below zero live: a release for an instance counted before the record existed finds nothing to give back. */
export const releaseSlots = (quota: QuotaRecord, count: number): QuotaRecord => ({
  ...quota,
  released: Math.min(quota.admitted, quota.released + count),
});

/**
 * The quota after a recount. `atStart` was read before the instance records were scanned, `counted`
 * is how many of them the scan found live, `current` is the record now. Every instance live now was
 * either live when the scan passed its key, or got its slot after `atStart` was read, so
 * `counted + (current.admitted - atStart.admitted)` bounds the truth from above, as does the record
 * itself; the smaller bound wins and the count only ever goes down. Operations in flight across the
 * edges of the scan are covered by waiting a grace period on each side of it (see the quota store).
 */
export function reconcileSlots(atStart: QuotaRecord, counted: number, current: QuotaRecord): QuotaRecord {
  const bound = counted + Math.max(0, current.admitted - atStart.admitted);
  const live = Math.min(liveInstances(current), bound);
  return { ...current, released: current.admitted - live };
}

/**
 * The quota after giving back the slot of a start message discarded without its record
 * (contract/create-order.ts), or `undefined` if a recount may have given it back already. A recount
 * that began after the slot was reserved found no record for it and counted it out; one that began
 * later than the reservation counted it among the slots admitted meanwhile and kept it. The gateway
 * reserved the slot at most `CREATE_DEADLINE_MS` before the start's `createdAt` (it gives up on a
 * create rather than publish later), so only a start created that long after the latest recount
 * began is certainly not counted out. Otherwise the slot stays taken until the next recount: high,
 * never low.
 */
export function releaseDiscardedStart(quota: QuotaRecord, createdAt: number): QuotaRecord | undefined {
  return createdAt - CREATE_DEADLINE_MS > (quota.recountedAt ?? quota.reconciledAt) ? releaseSlots(quota, 1) : undefined;
}
