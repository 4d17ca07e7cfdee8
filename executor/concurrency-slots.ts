/**
 * `limits.concurrency` across all executors: an activation runs only while it holds one of its
 * tenant's slots in the KV bucket `kiln_slots` (key `<tenant>.<index>`, index below the limit).
 *
 * Built for nats-server 2.9 (no per-message TTL): a slot is taken with a compare-and-set — a put
 * expecting the key not to exist, or expecting the revision of a lease that expired — and holds a
 * lease that this activation renews every heartbeat, so a crashed executor's slot frees itself after
 * the lease time. It is released by purging the key's message up to the revision this activation
 * wrote: the key is then gone (no delete marker), so the next taker's put-if-absent succeeds in one
 * round trip, and a release that comes late (after another activation took the lapsed slot over)
 * removes nothing of the new holder's. A released slot is kept for `KEEP_SLOT_MS` first: the
 * tenant's next activation on this executor takes it back as it is (no write, no read), and only a
 * slot nobody took back in that time is purged.
 *
 * Cost, measured on loopback against nats-server 2.9.10, interleaved in one run on a loaded 2-core
 * machine (test/infra/concurrency-slots.test.ts prints it): taking a free slot is one KV put, 0.46–0.52
 * ms beside 0.50–0.60 ms for a raw KV create; releasing it is one stream purge request, 1.1–1.5 ms,
 * after the message is settled, off the instance's path. Under a steady load of one tenant both are
 * skipped for all but the first and last activation of a run, by keeping. Only a tenant at or near
 * its limit reads slots: up to `SLOT_READ_WINDOW` gets, sent at once.
 *
 * The decisions (which slot, whether a lease has expired, what to do when full) are pure functions
 * in `decisions/concurrency-slot.ts`; this class does the I/O.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { Buckets, Keys } from "../contract/mod.ts";
import { isWrongLastSequence } from "../infra/errors.ts";
import { decodeJson, encodeJson } from "../infra/json-codec.ts";
import type { ConcurrencyGate } from "./concurrency-gate.ts";
import {
  chooseSlot,
  firstSlot,
  fullRetryDelayMs,
  KEEP_SLOT_MS,
  reusableSlot,
  slotLease,
  slotsToRead,
  type SlotLease,
  type SlotState,
} from "./decisions/concurrency-slot.ts";

/** Compare-and-set races lost in a row before a message waits a round like a full tenant's. */
const MAX_SLOT_TRIES = 3;

/** The stream and subject behind the bucket, for the conditional purge (nats.js KV has none). */
const SLOTS_STREAM = `KV_${Buckets.slots}`;
const slotSubject = (key: string) => `$KV.${Buckets.slots}.${key}`;

export interface ConcurrencySlotsDeps {
  /** The `kiln_slots` bucket. */
  kv: KV;
  jsm: JetStreamManager;
  /** This executor's identity in slot leases. */
  owner: string;
  /** How long a slot holds without renewal: the instance lease's time. */
  leaseMs: number;
  /** How often a held slot is renewed: the activation's heartbeat. */
  heartbeatMs: number;
  gate: ConcurrencyGate;
  /** A tenant's message found its tenant at the limit. */
  onFull: (tenant: string) => void;
  warn: (message: string) => void;
  /** @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
  /** How long a released slot is kept for the tenant's next activation here; 0 frees it at once. @default KEEP_SLOT_MS */
  keepMs?: number;
}

/** One activation's claim on a slot: taken before the instance is claimed, released after settling. */
export interface SlotSeat {
  /** Takes a slot unless this seat holds one already. */
  take(limit: number): Promise<{ held: true } | { held: false; retryInMs: number }>;
  /** Stops renewing and frees the slot, if one is held. Never throws: a slot not freed expires. */
  release(): Promise<void>;
}

interface HeldSlot {
  index: number;
  revision: number;
  /** The expiry of the lease last written into it. */
  expiresAt: number;
}

interface KeptHeldSlot extends HeldSlot {
  /** Frees the slot when nobody took it back in time. */
  timer: ReturnType<typeof setTimeout>;
}

export class ConcurrencySlots {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly keepMs: number;
  /** Per tenant, the slot this executor freed last: the likeliest free one. */
  private readonly lastReleased = new Map<string, number>();
  /** Per tenant, slots released and kept for a moment (see `KEEP_SLOT_MS`). */
  private readonly kept = new Map<string, KeptHeldSlot[]>();
  private closed = false;

  constructor(private readonly deps: ConcurrencySlotsDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.keepMs = deps.keepMs ?? KEEP_SLOT_MS;
  }

  /** Frees every kept slot now, and keeps none from now on (the executor is shutting down). */
  async close(): Promise<void> {
    this.closed = true;
    const frees: Promise<void>[] = [];
    for (const [tenant, slots] of this.kept) {
      for (const slot of slots) {
        clearTimeout(slot.timer);
        frees.push(this.free(tenant, slot));
      }
    }
    this.kept.clear();
    await Promise.all(frees);
  }

  /** A seat for one activation of `instance` (`<workflow>/<id>`, for whoever reads the bucket). */
  seat(tenant: string, instance: string): SlotSeat {
    let held: HeldSlot | undefined;
    /** Another activation took the slot over (its lease had lapsed): never kept for reuse. */
    let lost = false;
    let renewal: Promise<void> | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const renew = async (slot: HeldSlot) => {
      // A NATS failure keeps what was written last.
      const written = await this.write(tenant, slot.index, instance, slot.revision).catch(() => slot);
      if (written !== undefined) [slot.revision, slot.expiresAt] = [written.revision, written.expiresAt];
      else {
        lost = true;
        clearInterval(heartbeat);
        this.deps.warn(`lost concurrency slot ${slot.index} of tenant ${tenant} (${instance}): its lease lapsed and another activation took it`);
      }
    };
    return {
      take: async (limit) => {
        if (held) return { held: true };
        const taken = this.takeKept(tenant, limit) ?? (await this.acquire(tenant, instance, limit));
        if ("retryInMs" in taken) {
          this.deps.gate.close(tenant, taken.retryInMs);
          this.deps.onFull(tenant);
          return { held: false, retryInMs: taken.retryInMs };
        }
        const slot = (held = taken);
        heartbeat = setInterval(() => {
          renewal ??= renew(slot).finally(() => (renewal = undefined));
        }, this.deps.heartbeatMs);
        return { held: true };
      },
      release: async () => {
        if (!held) return;
        const slot = held;
        held = undefined;
        clearInterval(heartbeat);
        // A purge must name the latest revision this activation wrote.
        await renewal;
        if (this.keepMs > 0 && !this.closed && !lost) this.keep(tenant, slot);
        else await this.free(tenant, slot);
      },
    };
  }

  /** A slot kept for the tenant that an activation can take as it is, if any (the rest wait for their timers). */
  private takeKept(tenant: string, limit: number): HeldSlot | undefined {
    const slots = this.kept.get(tenant);
    if (!slots) return undefined;
    const at = reusableSlot(slots, limit, this.now(), this.deps.leaseMs);
    const slot = at === undefined ? undefined : slots.splice(at, 1)[0];
    if (slot) clearTimeout(slot.timer);
    if (slots.length === 0) this.kept.delete(tenant);
    return slot && { index: slot.index, revision: slot.revision, expiresAt: slot.expiresAt };
  }

  private keep(tenant: string, slot: HeldSlot): void {
    const timer = setTimeout(() => {
      const slots = this.kept.get(tenant) ?? [];
      const at = slots.indexOf(kept);
      if (at !== -1) slots.splice(at, 1);
      if (slots.length === 0) this.kept.delete(tenant);
      void this.free(tenant, slot);
    }, this.keepMs);
    const kept: KeptHeldSlot = { ...slot, timer };
    this.kept.set(tenant, [...(this.kept.get(tenant) ?? []), kept]);
    // A message of the tenant waiting on this executor may take it now.
    this.deps.gate.open(tenant);
  }

  /** Purges the slot up to the revision this executor last wrote: whoever took it over since keeps it. Never throws. */
  private async free(tenant: string, slot: HeldSlot): Promise<void> {
    try {
      await this.deps.jsm.streams.purge(SLOTS_STREAM, { filter: slotSubject(Keys.concurrencySlot(tenant, slot.index)), seq: slot.revision + 1 });
      this.lastReleased.set(tenant, slot.index);
      this.deps.gate.open(tenant);
    } catch (error) {
      this.deps.warn(`could not free concurrency slot ${slot.index} of tenant ${tenant} (it frees itself when its lease lapses): ${(error as Error).message}`);
    }
  }

  private async acquire(tenant: string, instance: string, limit: number): Promise<HeldSlot | { retryInMs: number }> {
    const first = firstSlot(limit, this.lastReleased.get(tenant), this.random());
    this.lastReleased.delete(tenant);
    let written = await this.write(tenant, first, instance, 0);
    if (written !== undefined) return { index: first, ...written };
    for (let tries = 0; tries < MAX_SLOT_TRIES; tries++) {
      const choice = chooseSlot(await this.read(tenant, slotsToRead(limit, this.random())), limit, this.now(), this.random());
      if (choice.do === "wait") return { retryInMs: choice.delayMs };
      written = await this.write(tenant, choice.index, instance, choice.do === "create" ? 0 : choice.revision);
      if (written !== undefined) return { index: choice.index, ...written };
    }
    return { retryInMs: fullRetryDelayMs(this.random()) };
  }

  /**
   * Writes this executor's lease into a slot if the key is still at `expected` (0: absent). The new
   * revision and the lease's expiry, or `undefined` when someone else wrote first.
   */
  private async write(tenant: string, index: number, instance: string, expected: number): Promise<{ revision: number; expiresAt: number } | undefined> {
    const lease = slotLease(this.deps.owner, instance, this.now(), this.deps.leaseMs);
    try {
      // `put` with `previousSeq: 0`, not `create`: nats.js's create reads the key after a refusal.
      const revision = await this.deps.kv.put(Keys.concurrencySlot(tenant, index), encodeJson(lease), { previousSeq: expected });
      return { revision, expiresAt: lease.expiresAt };
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw error;
    }
  }

  private async read(tenant: string, indexes: number[]): Promise<SlotState[]> {
    return Promise.all(
      indexes.map(async (index): Promise<SlotState> => {
        const entry = await this.deps.kv.get(Keys.concurrencySlot(tenant, index));
        if (!entry) return { index };
        if (entry.operation !== "PUT") return { index, revision: entry.revision };
        return { index, lease: decodeJson<SlotLease>(entry.value), revision: entry.revision };
      }),
    );
  }
}
