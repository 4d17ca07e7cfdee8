/**
 * Concurrency slots against a real nats-server (executor/concurrency-slots.ts): the limit holds across
 * executors, a free slot costs one KV write, a lapsed slot is taken over, and a late release never
 * frees a slot that someone else holds now. Prints what a take and a release cost beside a raw KV create.
 */
import type { KV } from "@nats-io/kv";
import { describe, expect, it } from "vitest";
import { Keys } from "../../contract/mod.ts";
import { ConcurrencyGate } from "../../executor/concurrency-gate.ts";
import { ConcurrencySlots, type SlotSeat } from "../../executor/concurrency-slots.ts";
import { FULL_RETRY_JITTER_MS, FULL_RETRY_MS } from "../../executor/decisions/concurrency-slot.ts";
import { decodeJson, encodeJson } from "../../infra/json-codec.ts";
import { openKilnResources, type KilnResources } from "../../infra/kiln-resources.ts";
import { startTestNats } from "../helpers/nats.ts";

const LEASE_MS = 3_000;

/** Counts the bucket's reads and writes, to show how many round trips a take costs. */
function counting(kv: KV): { kv: KV; calls: { put: number; get: number } } {
  const calls = { put: 0, get: 0 };
  const proxy = new Proxy(kv, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === "put" || property === "get") && typeof value === "function") {
        return (...args: unknown[]) => {
          calls[property]++;
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return { kv: proxy, calls };
}

/** An executor's slots; released slots are freed at once unless `keepMs` says otherwise. */
function executor(resources: KilnResources, owner: string, options: { now?: () => number; heartbeatMs?: number; kv?: KV; keepMs?: number } = {}) {
  const gate = new ConcurrencyGate();
  const full: string[] = [];
  const warnings: string[] = [];
  const slots = new ConcurrencySlots({
    kv: options.kv ?? resources.slots,
    jsm: resources.jsm,
    owner,
    leaseMs: LEASE_MS,
    heartbeatMs: options.heartbeatMs ?? LEASE_MS / 3,
    gate,
    onFull: (tenant) => full.push(tenant),
    warn: (message) => warnings.push(message),
    keepMs: options.keepMs ?? 0,
    ...(options.now ? { now: options.now } : {}),
  });
  return { slots, gate, full, warnings };
}

async function heldCount(resources: KilnResources, tenant: string, limit: number): Promise<number> {
  let held = 0;
  for (let index = 0; index < limit; index++) {
    const entry = await resources.slots.get(Keys.concurrencySlot(tenant, index));
    if (entry?.operation === "PUT") held++;
  }
  return held;
}

describe("concurrency slots", () => {
  it("lets no more than the limit in across two executors, and puts the next one off with a short delay", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const [a, b] = [executor(resources, "executor-a"), executor(resources, "executor-b")];
    const seats: SlotSeat[] = [];
    try {
      for (const [i, side] of [a, b, a].entries()) {
        const seat = side.slots.seat("acme", `wf/i${i}`);
        seats.push(seat);
        expect(await seat.take(3)).toEqual({ held: true });
      }
      expect(await heldCount(resources, "acme", 3)).toBe(3);
      const refused = await b.slots.seat("acme", "wf/late").take(3);
      expect(refused).toMatchObject({ held: false });
      if (!refused.held) {
        expect(refused.retryInMs).toBeGreaterThanOrEqual(FULL_RETRY_MS);
        expect(refused.retryInMs).toBeLessThan(FULL_RETRY_MS + FULL_RETRY_JITTER_MS);
      }
      expect(b.full).toEqual(["acme"]);
      // Another tenant has slots of its own.
      expect(await b.slots.seat("other", "wf/x").take(3)).toEqual({ held: true });
      await seats[0]!.release();
      expect(await b.slots.seat("acme", "wf/next").take(3)).toEqual({ held: true });
    } finally {
      await Promise.all(seats.map((seat) => seat.release()));
    }
  });

  it("takes a free slot with one KV write and no read, and frees it without a delete marker", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const { kv, calls } = counting(resources.slots);
    const { slots } = executor(resources, "executor-a", { kv });
    for (let i = 0; i < 5; i++) {
      const seat = slots.seat("acme", `wf/i${i}`);
      expect(await seat.take(2)).toEqual({ held: true });
      await seat.release();
    }
    expect(calls).toEqual({ put: 5, get: 0 });
    expect(await resources.slots.get(Keys.concurrencySlot("acme", 0))).toBeNull();
    expect(await resources.slots.get(Keys.concurrencySlot("acme", 1))).toBeNull();
  });

  it("takes over a slot whose holder stopped renewing it (a crashed executor)", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    await resources.slots.put(Keys.concurrencySlot("acme", 0), encodeJson({ owner: "executor-dead", instance: "wf/i0", expiresAt: Date.now() - 1 }));
    const { slots } = executor(resources, "executor-a");
    const seat = slots.seat("acme", "wf/i1");
    expect(await seat.take(1)).toEqual({ held: true });
    const entry = await resources.slots.get(Keys.concurrencySlot("acme", 0));
    expect(decodeJson<{ owner: string }>(entry!.value).owner).toBe("executor-a");
    await seat.release();
  });

  it("does not free the slot of whoever took it over when a stalled holder releases late", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const stalled = executor(resources, "executor-stalled");
    // An executor whose clock is past the stalled holder's lease: it sees the lease as lapsed.
    const later = executor(resources, "executor-later", { now: () => Date.now() + LEASE_MS + 1 });
    const first = stalled.slots.seat("acme", "wf/i0");
    expect(await first.take(1)).toEqual({ held: true });
    const second = later.slots.seat("acme", "wf/i1");
    expect(await second.take(1)).toEqual({ held: true });
    await first.release();
    expect(await heldCount(resources, "acme", 1)).toBe(1);
    expect(await stalled.slots.seat("acme", "wf/i2").take(1)).toMatchObject({ held: false });
    await second.release();
    expect(await heldCount(resources, "acme", 1)).toBe(0);
  });

  it("renews a held slot's lease on every heartbeat and still frees it afterwards", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const { slots, warnings } = executor(resources, "executor-a", { heartbeatMs: 20 });
    const seat = slots.seat("acme", "wf/i0");
    await seat.take(1);
    const key = Keys.concurrencySlot("acme", 0);
    const firstRevision = (await resources.slots.get(key))!.revision;
    for (let i = 0; i < 100 && (await resources.slots.get(key))!.revision < firstRevision + 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await resources.slots.get(key))!.revision).toBeGreaterThanOrEqual(firstRevision + 2);
    await seat.release();
    expect(await resources.slots.get(key)).toBeNull();
    expect(warnings).toEqual([]);
  });

  it("opens the tenant's gate when this executor frees one of its slots", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const { slots, gate } = executor(resources, "executor-a");
    const holder = slots.seat("acme", "wf/i0");
    await holder.take(1);
    expect(await slots.seat("acme", "wf/i1").take(1)).toMatchObject({ held: false });
    let passed = false;
    const passage = gate.passage("acme").then(() => (passed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(passed).toBe(false);
    await holder.release();
    await passage;
    expect(passed).toBe(true);
  });

  it("costs about a raw KV create to take a free slot (printed, not asserted: timing belongs to the bench)", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const { slots } = executor(resources, "executor-a");
    const rounds = 300;
    let takeMs = 0;
    let releaseMs = 0;
    let createMs = 0;
    // Interleaved, so warm-up and the machine's load fall on all three alike.
    for (let i = 0; i < rounds; i++) {
      const seat = slots.seat("acme", `wf/i${i}`);
      const started = performance.now();
      await seat.take(100);
      const taken = performance.now();
      await seat.release();
      const released = performance.now();
      await resources.journal.create(`raw.${i}`, encodeJson({ owner: "executor-a", instance: `wf/i${i}`, expiresAt: Date.now() }));
      takeMs += taken - started;
      releaseMs += released - taken;
      createMs += performance.now() - released;
    }
    console.log(
      `slot take ${(takeMs / rounds).toFixed(3)} ms, release ${(releaseMs / rounds).toFixed(3)} ms, raw KV create ${(createMs / rounds).toFixed(3)} ms (mean of ${rounds}, nats-server file store)`,
    );
  });
  it("keeps a released slot for the tenant's next activation here: one write for a run, freed once nobody takes it back", async () => {
    await using nats = await startTestNats();
    const resources = await openKilnResources(await nats.connect());
    const { kv, calls } = counting(resources.slots);
    const keepMs = 200;
    const a = executor(resources, "executor-a", { kv, keepMs });
    const b = executor(resources, "executor-b", { keepMs });
    for (let i = 0; i < 5; i++) {
      const seat = a.slots.seat("acme", `wf/i${i}`);
      expect(await seat.take(1)).toEqual({ held: true });
      await seat.release();
    }
    expect(calls).toEqual({ put: 1, get: 0 });
    // Kept, so still held: another executor finds the tenant at its limit meanwhile ...
    expect(await heldCount(resources, "acme", 1)).toBe(1);
    expect(await b.slots.seat("acme", "wf/other").take(1)).toMatchObject({ held: false });
    // ... and takes it once it is freed.
    await expect.poll(() => heldCount(resources, "acme", 1), { timeout: 5_000 }).toBe(0);
    const seat = b.slots.seat("acme", "wf/other");
    expect(await seat.take(1)).toEqual({ held: true });
    await seat.release();
    await b.slots.close();
    expect(await heldCount(resources, "acme", 1), "close frees what is kept").toBe(0);
  });
});
