/**
 * Keeps one activation's lease on its instance: renews it every third of the lease or of the work
 * message's ack_wait, whichever is shorter (with the message's progress signal), and tells the engine whether a step body may start. The decisions are
 * in `decisions/lease.ts`; this class only does the I/O and remembers the expiry it last wrote.
 *
 * Why the engine asks before every step body: a heartbeat only notices a lost lease after the fact.
 * Seen on a loaded machine: an executor stalled past its lease during a cold start, another took the
 * instance over and read its (empty) journal, the first woke up and ran steps 1–3 before its next
 * heartbeat, and the second then ran step 1 again. A body now starts only while the lease this
 * activation last wrote has room left (`leavesRoomForStep`), else after a successful renewal.
 */
import type { InstanceRef } from "../contract/mod.ts";
import type { InstanceStore, StoredInstance } from "../infra/instance-store.ts";
import { leavesRoomForStep, renewLease, stepPermitUntil, type LeaseHolder } from "./decisions/lease.ts";

export interface LeaseKeeperOptions {
  instances: InstanceStore;
  ref: InstanceRef;
  holder: LeaseHolder;
  leaseMs: number;
  /** How often to renew and call `onHeartbeat`: at most a third of the lease and of the work message's ack_wait. */
  heartbeatMs: number;
  /** The record as the claim wrote it, with its revision (its lease holds the expiry). */
  claimed: StoredInstance;
  now: () => number;
  /** Called on every heartbeat, e.g. to tell JetStream the work message is still in progress. */
  onHeartbeat(): void;
}

export class LeaseKeeper {
  private expiresAt: number;
  private lostReason: string | undefined;
  private renewal: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private written: StoredInstance;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.written = options.claimed;
    this.expiresAt = options.claimed.record.lease?.expiresAt ?? 0;
  }

  /**
   * The record as this activation last wrote it (the claim, then each renewal), with its revision:
   * where a renewal or the activation's end tries its compare-and-set first, without a read.
   */
  get lastWritten(): StoredInstance {
    return this.written;
  }

  /** Why the lease is no longer this activation's, once that is known. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.options.onHeartbeat();
      void this.renew();
    }, this.options.heartbeatMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Resolves to `undefined` when a step body may start now, else to the reason it may not. */
  async assure(): Promise<string | undefined> {
    const { leaseMs, now } = this.options;
    if (this.lostReason === undefined && !leavesRoomForStep(this.expiresAt, now(), leaseMs)) await this.renew();
    if (this.lostReason !== undefined) return this.lostReason;
    return leavesRoomForStep(this.expiresAt, now(), leaseMs) ? undefined : "the lease on the instance could not be renewed in time";
  }

  /** Until when a step body may start without asking `assure` (the step permit's horizon); 0 once lost. */
  stepPermitUntil(): number {
    return this.lostReason === undefined ? stepPermitUntil(this.expiresAt, this.options.leaseMs) : 0;
  }

  /** One renewal at a time; a NATS failure keeps the old expiry, which `assure` then judges. */
  private renew(): Promise<void> {
    this.renewal ??= this.writeRenewal().finally(() => (this.renewal = undefined));
    return this.renewal;
  }

  private async writeRenewal(): Promise<void> {
    if (this.lostReason !== undefined) return;
    const { instances, ref, holder, leaseMs, now } = this.options;
    let renewedUntil: number | undefined;
    let lost: string | undefined;
    try {
      const written = await instances.modify(
        ref,
        (current) => {
          const renewal = renewLease(current, holder, now(), leaseMs);
          if ("lost" in renewal) {
            [lost, renewedUntil] = [renewal.lost, undefined];
            return undefined;
          }
          [lost, renewedUntil] = [undefined, renewal.next.lease.expiresAt];
          return renewal.next;
        },
        this.written,
      );
      if (!written) lost = "the instance was deleted";
      else if (lost === undefined) this.written = written;
    } catch {
      return;
    }
    if (lost !== undefined) this.lostReason = lost;
    else if (renewedUntil !== undefined) this.expiresAt = renewedUntil;
  }
}
