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
 * removes nothing of the new holder's.
 *
 * Cost, measured on loopback against nats-server 2.9.10, interleaved in one run on a loaded 2-core
 * machine (test/infra/concurrency-slots.test.ts prints it): taking a free slot is one KV put, 0.46–0.52
 * ms beside 0.50–0.60 ms for a raw KV create; releasing it is one stream purge request, 1.1–1.5 ms,
 * after the message is settled, off the instance's path. Only a tenant at or near its limit reads
 * slots: up to `SLOT_READ_WINDOW` gets, sent at once.
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
import { chooseSlot, firstSlot, fullRetryDelayMs, slotLease, slotsToRead, type SlotLease, type SlotState } from "./decisions/concurrency-slot.ts";

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
}

export class ConcurrencySlots {
  private readonly now: () => number;
  private readonly random: () => number;
  /** Per tenant, the slot this executor freed last: the likeliest free one. */
  private readonly lastReleased = new Map<string, number>();

  constructor(private readonly deps: ConcurrencySlotsDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  /** A seat for one activation of `instance` (`<workflow>/<id>`, for whoever reads the bucket). */
  seat(tenant: string, instance: string): SlotSeat {
    let held: HeldSlot | undefined;
    let renewal: Promise<void> | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const renew = async (slot: HeldSlot) => {
      const revision = await this.write(tenant, slot.index, instance, slot.revision).catch(() => slot.revision);
      if (revision !== undefined) slot.revision = revision;
      else {
        clearInterval(heartbeat);
        this.deps.warn(`lost concurrency slot ${slot.index} of tenant ${tenant} (${instance}): its lease lapsed and another activation took it`);
      }
    };
    return {
      take: async (limit) => {
        if (held) return { held: true };
        const taken = await this.acquire(tenant, instance, limit);
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
        // The purge must name the latest revision this activation wrote.
        await renewal;
        try {
          await this.deps.jsm.streams.purge(SLOTS_STREAM, { filter: slotSubject(Keys.concurrencySlot(tenant, slot.index)), seq: slot.revision + 1 });
          this.lastReleased.set(tenant, slot.index);
          this.deps.gate.open(tenant);
        } catch (error) {
          this.deps.warn(
            `could not free concurrency slot ${slot.index} of tenant ${tenant} (it frees itself when its lease lapses): ${(error as Error).message}`,
          );
        }
      },
    };
  }

  private async acquire(tenant: string, instance: string, limit: number): Promise<HeldSlot | { retryInMs: number }> {
    const first = firstSlot(limit, this.lastReleased.get(tenant), this.random());
    this.lastReleased.delete(tenant);
    let revision = await this.write(tenant, first, instance, 0);
    if (revision !== undefined) return { index: first, revision };
    for (let tries = 0; tries < MAX_SLOT_TRIES; tries++) {
      const choice = chooseSlot(await this.read(tenant, slotsToRead(limit, this.random())), limit, this.now(), this.random());
      if (choice.do === "wait") return { retryInMs: choice.delayMs };
      revision = await this.write(tenant, choice.index, instance, choice.do === "create" ? 0 : choice.revision);
      if (revision !== undefined) return { index: choice.index, revision };
    }
    return { retryInMs: fullRetryDelayMs(this.random()) };
  }

  /**
   * Writes this executor's lease into a slot if the key is still at `expected` (0: absent). The new
   * revision, or `undefined` when someone else wrote first.
   */
  private async write(tenant: string, index: number, instance: string, expected: number): Promise<number | undefined> {
    const lease = slotLease(this.deps.owner, instance, this.now(), this.deps.leaseMs);
    try {
      // `put` with `previousSeq: 0`, not `create`: nats.js's create reads the key after a refusal.
      return await this.deps.kv.put(Keys.concurrencySlot(tenant, index), encodeJson(lease), { previousSeq: expected });
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
