/**
 * The create limits as pure decisions (infra/quota/): the token bucket behind
 * `limits.createsPerSecond`, the live-instance slots behind `limits.maxInstances`, the admission that
 * combines them, and the reconciliation that gives back slots leaked by crashes.
 */
import { describe, expect, it } from "vitest";
import { CREATE_DEADLINE_MS, FINAL_STATUSES, INSTANCE_STATUSES, type InstanceRecord, type QuotaRecord } from "../../contract/mod.ts";
import { decideAdmission, INSTANCE_LIMIT_RETRY_AFTER_MS } from "../../infra/quota/admission.ts";
import { becomesFinal, liveInstances, reconcileSlots, releaseDiscardedStart, releaseSlots, reserveSlots } from "../../infra/quota/instance-slots.ts";
import { fullBucket, refill, takeTokens } from "../../infra/quota/token-bucket.ts";

const T0 = 1_700_000_000_000;
const quota = (fields: Partial<QuotaRecord> = {}): QuotaRecord => ({ v: 1, admitted: 0, released: 0, tokens: 10, refilledAt: T0, reconciledAt: T0, ...fields });
const LIMITS = { maxInstances: 5, createsPerSecond: 10 };

describe("token bucket", () => {
  it("starts full and takes one token per create", () => {
    const take = takeTokens(fullBucket(10, T0), 3, 10, T0);
    expect(take).toEqual({ taken: true, bucket: { tokens: 7, refilledAt: T0 } });
  });

  it("refills continuously at the rate, never past one second's worth", () => {
    expect(refill({ tokens: 0, refilledAt: T0 }, 10, T0 + 250).tokens).toBe(2.5);
    expect(refill({ tokens: 0, refilledAt: T0 }, 10, T0 + 60_000).tokens).toBe(10);
  });

  it("refuses when empty and says when enough tokens will be there", () => {
    expect(takeTokens({ tokens: 0.5, refilledAt: T0 }, 1, 10, T0)).toEqual({ taken: false, retryAfterMs: 50, never: false });
    expect(takeTokens({ tokens: 0, refilledAt: T0 }, 4, 10, T0)).toEqual({ taken: false, retryAfterMs: 400, never: false });
  });

  it("refuses for good a batch larger than the bucket", () => {
    expect(takeTokens(fullBucket(10, T0), 11, 10, T0)).toMatchObject({ taken: false, never: true });
  });

  it("adds nothing for time running backwards (another gateway's clock ahead), and waits that out", () => {
    const ahead = { tokens: 0, refilledAt: T0 + 1_000 };
    expect(refill(ahead, 10, T0)).toEqual(ahead);
    expect(takeTokens(ahead, 1, 10, T0)).toEqual({ taken: false, retryAfterMs: 1_100, never: false });
  });

  it("caps the bucket at once when the limit is lowered", () => {
    expect(refill({ tokens: 300, refilledAt: T0 }, 2, T0).tokens).toBe(2);
  });
});

describe("live-instance slots", () => {
  it("counts admitted minus released, never below zero", () => {
    expect(liveInstances(quota({ admitted: 7, released: 3 }))).toBe(4);
    expect(liveInstances(releaseSlots(quota({ admitted: 1, released: 1 }), 1))).toBe(0);
    expect(reserveSlots(quota({ admitted: 1 }), 2).admitted).toBe(3);
  });

  it("releases a slot only on the write that makes an instance final", () => {
    const record = (status: InstanceRecord["status"]) => ({ status }) as InstanceRecord;
    for (const from of INSTANCE_STATUSES) {
      for (const to of INSTANCE_STATUSES) {
        expect(becomesFinal(record(from), record(to)), `${from} → ${to}`).toBe(!FINAL_STATUSES.has(from) && FINAL_STATUSES.has(to));
      }
      expect(becomesFinal(record(from), undefined)).toBe(false);
    }
  });
});

describe("admission", () => {
  it("takes a slot and a token per instance", () => {
    const admission = decideAdmission(quota(), { slots: 3, creates: 3 }, LIMITS, T0);
    expect(admission).toEqual({ admitted: true, next: quota({ admitted: 3, tokens: 7 }) });
  });

  it("refuses a create past limits.maxInstances, naming the limit and how to raise it, and takes no token", () => {
    const admission = decideAdmission(quota({ admitted: 9, released: 5 }), { slots: 2, creates: 2 }, LIMITS, T0);
    expect(admission).toMatchObject({ admitted: false, code: "too_many_instances", retryAfterMs: INSTANCE_LIMIT_RETRY_AFTER_MS });
    if (admission.admitted) return;
    expect(admission.message).toContain("4 instances that are not finished");
    expect(admission.message).toContain("limits.maxInstances is 5");
    expect(admission.message).toContain("raise limits.maxInstances");
  });

  it("admits up to the limit exactly, and again once instances finish", () => {
    const full = quota({ admitted: 5, released: 0 });
    expect(decideAdmission(quota({ admitted: 4 }), { slots: 1, creates: 1 }, LIMITS, T0).admitted).toBe(true);
    expect(decideAdmission(full, { slots: 1, creates: 1 }, LIMITS, T0).admitted).toBe(false);
    expect(decideAdmission(releaseSlots(full, 1), { slots: 1, creates: 1 }, LIMITS, T0).admitted).toBe(true);
  });

  it("refuses a create past limits.createsPerSecond with the wait, and takes no slot", () => {
    const admission = decideAdmission(quota({ tokens: 0 }), { slots: 1, creates: 1 }, LIMITS, T0);
    expect(admission).toMatchObject({ admitted: false, code: "create_rate_exceeded", retryAfterMs: 100 });
    if (admission.admitted) return;
    expect(admission.message).toContain("limits.createsPerSecond (10)");
  });

  it("tells a batch larger than the rate to split", () => {
    const admission = decideAdmission(quota(), { slots: 11, creates: 11 }, { maxInstances: 100, createsPerSecond: 10 }, T0);
    expect(admission).toMatchObject({ admitted: false, code: "create_rate_exceeded" });
    if (!admission.admitted) expect(admission.message).toContain("send batches of at most 10");
  });

  it("lets a restart of a final instance take a slot without a create token", () => {
    expect(decideAdmission(quota({ tokens: 0 }), { slots: 1, creates: 0 }, LIMITS, T0)).toEqual({ admitted: true, next: quota({ tokens: 0, admitted: 1 }) });
  });
});

describe("reconciliation", () => {
  it("gives back slots leaked by crashes: nothing changed while counting", () => {
    const atStart = quota({ admitted: 10, released: 2 }); // says 8 live; the scan finds 5
    expect(liveInstances(reconcileSlots(atStart, 5, atStart))).toBe(5);
  });

  it("keeps the slots admitted while the scan ran, which it may have missed", () => {
    const atStart = quota({ admitted: 10, released: 2 });
    const now = quota({ admitted: 13, released: 3 }); // 3 created, 1 finished meanwhile: says 10
    expect(liveInstances(reconcileSlots(atStart, 5, now))).toBe(8);
  });

  it("never raises the count: the record is an upper bound too", () => {
    const atStart = quota({ admitted: 10, released: 6 });
    const reconciled = reconcileSlots(atStart, 9, atStart);
    expect(liveInstances(reconciled)).toBe(4);
    expect(reconciled.released).toBe(6);
  });

  it("only ever grows the counters, so concurrent reservations and releases still apply", () => {
    const atStart = quota({ admitted: 10, released: 2 });
    const now = quota({ admitted: 12, released: 4 });
    const reconciled = reconcileSlots(atStart, 1, now);
    expect(reconciled.admitted).toBe(12);
    expect(reconciled.released).toBeGreaterThanOrEqual(4);
  });
});

describe("a start discarded without its record (contract/create-order.ts)", () => {
  it("gives its slot back when no recount began since the slot was reserved", () => {
    const now = quota({ admitted: 10, released: 2, reconciledAt: T0 });
    expect(liveInstances(releaseDiscardedStart(now, T0 + CREATE_DEADLINE_MS + 1)!)).toBe(7);
  });

  it("leaves the slot to a recount that began after it may have been reserved: that recount found no record for it", () => {
    // The slot was reserved at most CREATE_DEADLINE_MS before the start's createdAt.
    const recounted = quota({ admitted: 10, released: 2, reconciledAt: T0 });
    expect(releaseDiscardedStart(recounted, T0 + CREATE_DEADLINE_MS)).toBeUndefined();
    expect(releaseDiscardedStart(recounted, T0 + 1)).toBeUndefined();
    expect(releaseDiscardedStart(recounted, T0 - 60_000)).toBeUndefined();
  });

  it("counts only recounts, not the record's creation (counted before any of its reservations); records from before read reconciledAt", () => {
    const fresh = quota({ admitted: 4, reconciledAt: T0, recountedAt: 0 });
    expect(liveInstances(releaseDiscardedStart(fresh, T0 + 1)!)).toBe(3);
    const recounted = quota({ admitted: 4, reconciledAt: T0, recountedAt: T0 });
    expect(releaseDiscardedStart(recounted, T0 + 1)).toBeUndefined();
  });

  it("never releases below zero live", () => {
    const empty = quota({ admitted: 3, released: 3, reconciledAt: T0 });
    expect(liveInstances(releaseDiscardedStart(empty, T0 + CREATE_DEADLINE_MS + 1)!)).toBe(0);
  });
});
