/**
 * The lease on an instance record: which activation may run the instance, and until when. Pure
 * functions of the record and the time; `LeaseKeeper` does the I/O.
 *
 * An activation is identified by executor, generation and activation number, so a second activation
 * of the same instance on the same executor (after the first lost its lease) is another holder.
 */
import type { InstanceRecord } from "../../contract/mod.ts";

export interface LeaseHolder {
  readonly owner: string;
  readonly generation: number;
  /** `InstanceRecord.activations` as the claim wrote it. */
  readonly activation: number | undefined;
}

/** Whether `holder` is the activation the record says runs the instance. */
export function isHolder(record: InstanceRecord, holder: LeaseHolder): boolean {
  return record.lease?.owner === holder.owner && record.generation === holder.generation && record.activations === holder.activation;
}

/** The record with `holder`'s lease extended to `now + leaseMs`, or why it is not `holder`'s any more. */
export function renewLease(
  current: InstanceRecord,
  holder: LeaseHolder,
  now: number,
  leaseMs: number,
): { next: InstanceRecord & { lease: { owner: string; expiresAt: number } } } | { lost: string } {
  if (current.generation !== holder.generation) return { lost: "the instance was restarted" };
  if (!isHolder(current, holder)) return { lost: "another activation took over the instance" };
  return { next: { ...current, lease: { owner: holder.owner, expiresAt: now + leaseMs } } };
}

/**
 * Whether a lease expiring at `expiresAt` leaves room to start a step body at `now`. Another executor
 * takes over only once the lease has expired by its own clock, so a body may start only while at
 * least half the lease remains: the heartbeat (every third of the lease) has had a chance to renew
 * it before anyone else may look, and clocks may disagree by up to that half. In steady state the
 * lease never falls below two thirds, so this costs no round trip on the step path.
 */
export function leavesRoomForStep(expiresAt: number, now: number, leaseMs: number): boolean {
  return expiresAt - now >= leaseMs / 2;
}

/**
 * The last moment (epoch ms, exclusive) at which a lease expiring at `expiresAt` still leaves room
 * to start a step body: a sandbox holding a step permit with this horizon starts a body only when
 * `leavesRoomForStep` would have said yes (sandbox/step-permit.js).
 */
export function stepPermitUntil(expiresAt: number, leaseMs: number): number {
  return expiresAt - leaseMs / 2;
}
