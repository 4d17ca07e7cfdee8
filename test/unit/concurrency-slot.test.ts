/**
 * The concurrency slot decisions (executor/decisions/concurrency-slot.ts): which slot to try, whether
 * a held slot is free, what a message does when its tenant is at its limit, and which kept slot an
 * activation takes back. One row per case.
 */
import { describe, expect, it } from "vitest";
import { instanceRecord } from "../helpers/instance-record.ts";
import { isConcurrencyWaitCurrent, type InstanceRecord } from "../../contract/mod.ts";
import { decideClaim } from "../../executor/decisions/claim.ts";
import {
  chooseSlot,
  firstSlot,
  reusableSlot,
  FULL_RETRY_JITTER_MS,
  FULL_RETRY_MS,
  fullRetryDelayMs,
  isSlotFree,
  markConcurrencyWait,
  SLOT_READ_WINDOW,
  slotLease,
  slotsToRead,
  type SlotState,
} from "../../executor/decisions/concurrency-slot.ts";

const NOW = 1_000_000;
const held = (index: number, expiresAt = NOW + 1_000, revision = 10 + index): SlotState => ({
  index,
  revision,
  lease: { owner: "executor-other", instance: "wf/i", expiresAt },
});
const absent = (index: number): SlotState => ({ index });

describe("first slot", () => {
  it("aims at the slot this executor freed last while it is under the limit", () => {
    expect(firstSlot(4, 2, 0.99)).toBe(2);
  });

  it("picks a random slot below the limit when it freed none, or one the limit has since dropped", () => {
    expect(firstSlot(4, undefined, 0)).toBe(0);
    expect(firstSlot(4, undefined, 0.6)).toBe(2);
    expect(firstSlot(4, undefined, 0.9999)).toBe(3);
    expect(firstSlot(2, 5, 0.6)).toBe(1);
  });
});

describe("slots to read", () => {
  it("reads every slot of a small limit", () => {
    expect(slotsToRead(3, 0.5)).toEqual([0, 1, 2]);
    expect(slotsToRead(SLOT_READ_WINDOW, 0.5)).toHaveLength(SLOT_READ_WINDOW);
  });

  it("reads a window of a large limit from a random slot, wrapping around", () => {
    const window = slotsToRead(100, 0.9);
    expect(window).toHaveLength(SLOT_READ_WINDOW);
    expect(window[0]).toBe(90);
    expect(window).toContain(99);
    expect(window).toContain(0);
    expect(Math.max(...window)).toBeLessThan(100);
  });
});

describe("whether a slot is free", () => {
  it("is free without a key, with a delete marker, or with a lease that has expired", () => {
    expect(isSlotFree(absent(0), NOW)).toBe(true);
    expect(isSlotFree({ index: 0, revision: 7 }, NOW)).toBe(true);
    expect(isSlotFree(held(0, NOW), NOW)).toBe(true);
    expect(isSlotFree(held(0, NOW - 1), NOW)).toBe(true);
  });

  it("is held while its lease runs, whoever holds it", () => {
    expect(isSlotFree(held(0, NOW + 1), NOW)).toBe(false);
  });
});

describe("choose a slot", () => {
  it("creates an absent slot", () => {
    expect(chooseSlot([held(0), absent(1), held(2)], 3, NOW, 0.5)).toEqual({ do: "create", index: 1 });
  });

  it("spreads executors reading the same picture over the free slots", () => {
    const slots = [absent(0), held(1), absent(2)];
    expect(chooseSlot(slots, 3, NOW, 0)).toEqual({ do: "create", index: 0 });
    expect(chooseSlot(slots, 3, NOW, 0.99)).toEqual({ do: "create", index: 2 });
  });

  it("takes over a lapsed lease, expecting the revision it read (a crashed executor's slot)", () => {
    expect(chooseSlot([held(0), held(1, NOW - 1, 42)], 2, NOW, 0.9)).toEqual({ do: "take-over", index: 1, revision: 42 });
  });

  it("takes over a slot left as a delete marker, expecting the marker's revision", () => {
    expect(chooseSlot([held(0), { index: 1, revision: 9 }], 2, NOW, 0.9)).toEqual({ do: "take-over", index: 1, revision: 9 });
  });

  it("waits a short, jittered delay when every slot under the limit is held", () => {
    expect(chooseSlot([held(0), held(1)], 2, NOW, 0)).toEqual({ do: "wait", delayMs: FULL_RETRY_MS });
    expect(chooseSlot([held(0), held(1)], 2, NOW, 0.5)).toEqual({ do: "wait", delayMs: FULL_RETRY_MS + FULL_RETRY_JITTER_MS / 2 });
  });

  it("ignores free slots at or above a lowered limit", () => {
    expect(chooseSlot([held(0), absent(1), absent(2)], 1, NOW, 0.5)).toMatchObject({ do: "wait" });
  });
});

describe("the status while waiting for a slot", () => {
  const queued: InstanceRecord = instanceRecord({ createdAt: NOW - 10_000 });

  const noted: InstanceRecord = { ...queued, updatedAt: NOW - 500, concurrencyWait: { limit: 2, since: NOW - 500 } };

  it("says the instance waits for one of the tenant's slots, and since when", () => {
    const marked = markConcurrencyWait(queued, 2, NOW);
    expect(marked).toEqual({ ...queued, updatedAt: NOW, concurrencyWait: { limit: 2, since: NOW } });
    expect(isConcurrencyWaitCurrent(marked!)).toBe(true);
  });

  it("writes nothing when it says so already: a message that keeps finding the tenant full writes once", () => {
    expect(markConcurrencyWait(noted, 2, NOW)).toBeUndefined();
  });

  it("follows a changed limit", () => {
    expect(markConcurrencyWait(noted, 1, NOW)?.concurrencyWait).toEqual({ limit: 1, since: NOW });
  });

  it("counts a note from before the record's last change (a pause and resume, a restart) as stale, and notes the wait again", () => {
    const resumed: InstanceRecord = { ...noted, updatedAt: NOW - 100 };
    expect(isConcurrencyWaitCurrent(resumed)).toBe(false);
    expect(markConcurrencyWait(resumed, 2, NOW)?.concurrencyWait).toEqual({ limit: 2, since: NOW });
  });

  it("is cleared by the claim that runs the instance", () => {
    const decision = decideClaim({ record: { ...queued, concurrencyWait: { limit: 1, since: NOW - 500 } }, revision: 1 }, { reason: "start", seq: 1 }, NOW, {
      owner: "executor-me",
      leaseMs: 3_000,
      retention: { successMs: 60_000, errorMs: 60_000 },
    });
    expect(decision.do === "claim" && decision.next.concurrencyWait).toBeUndefined();
  });
});

describe("full retry delay", () => {
  it("stays within the base delay plus its jitter", () => {
    expect(fullRetryDelayMs(0)).toBe(FULL_RETRY_MS);
    expect(fullRetryDelayMs(0.999999)).toBeLessThan(FULL_RETRY_MS + FULL_RETRY_JITTER_MS);
  });
});

describe("slot lease", () => {
  it("names the executor and the activation and holds for the lease time", () => {
    expect(slotLease("executor-me", "wf/i1", NOW, 3_000)).toEqual({ owner: "executor-me", instance: "wf/i1", expiresAt: NOW + 3_000 });
  });
});

describe("a kept slot taken back", () => {
  const NOW = 1_000_000;
  const LEASE = 30_000;

  it("takes one under the limit whose lease leaves at least half", () => {
    expect(reusableSlot([{ index: 0, expiresAt: NOW + LEASE }], 1, NOW, LEASE)).toBe(0);
    expect(reusableSlot([{ index: 0, expiresAt: NOW + LEASE / 2 }], 1, NOW, LEASE)).toBe(0);
  });

  it("passes over a slot the limit was lowered below, or whose lease would lapse before the first renewal", () => {
    const kept = [
      { index: 3, expiresAt: NOW + LEASE },
      { index: 0, expiresAt: NOW + LEASE / 2 - 1 },
      { index: 1, expiresAt: NOW + LEASE },
    ];
    expect(reusableSlot(kept, 2, NOW, LEASE)).toBe(2);
    expect(reusableSlot(kept.slice(0, 2), 2, NOW, LEASE)).toBeUndefined();
    expect(reusableSlot([], 2, NOW, LEASE)).toBeUndefined();
  });
});
