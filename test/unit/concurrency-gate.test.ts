/** The per-tenant gate an executor's intake passes before it asks for an activation slot. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConcurrencyGate } from "../../executor/concurrency-gate.ts";

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe("concurrency gate", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets a tenant through at once unless it was closed", async () => {
    expect(await settled(new ConcurrencyGate().passage("acme"))).toBe(true);
  });

  it("holds a closed tenant back for the delay, and no other tenant", async () => {
    const gate = new ConcurrencyGate();
    gate.close("acme", 300);
    const waiting = gate.passage("acme");
    expect(await settled(gate.passage("other"))).toBe(true);
    await vi.advanceTimersByTimeAsync(299);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    expect(await settled(gate.passage("acme"))).toBe(true);
  });

  it("opens early when this executor frees one of the tenant's slots", async () => {
    const gate = new ConcurrencyGate();
    gate.close("acme", 300);
    const waiting = gate.passage("acme");
    gate.open("acme");
    expect(await settled(waiting)).toBe(true);
  });

  it("restarts the wait when closed again, keeping whoever already waits", async () => {
    const gate = new ConcurrencyGate();
    gate.close("acme", 300);
    const waiting = gate.passage("acme");
    await vi.advanceTimersByTimeAsync(200);
    gate.close("acme", 300);
    await vi.advanceTimersByTimeAsync(200);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(waiting)).toBe(true);
  });

  it("lets everyone through for shutdown", async () => {
    const gate = new ConcurrencyGate();
    gate.close("acme", 300);
    gate.close("other", 300);
    const waiting = [gate.passage("acme"), gate.passage("other")];
    gate.openAll();
    expect(await settled(Promise.all(waiting).then(() => undefined))).toBe(true);
  });
});
