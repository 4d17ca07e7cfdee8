/** Who may take a local activation slot (executor/decisions/slot-share.ts). One row per case. */
import { describe, expect, it } from "vitest";
import { defaultSlotReserve, mayTakeSlot } from "../../executor/decisions/slot-share.ts";

describe("mayTakeSlot", () => {
  it.each([
    { case: "a tenant running nothing takes any free slot, the last one too", running: 7, held: 0, may: true },
    { case: "a tenant already running leaves the reserved slot free", running: 7, held: 7, may: false },
    { case: "a tenant already running takes a slot while more than the reserve are free", running: 6, held: 6, may: true },
    { case: "another tenant's activations count against the reserve too", running: 7, held: 1, may: false },
    { case: "nobody takes a slot when none is free", running: 8, held: 0, may: false },
  ])("$case", ({ running, held, may }) => {
    expect(mayTakeSlot({ slots: 8, reserve: 1, running, held })).toBe(may);
  });

  it("with no reserve, a tenant may take every slot", () => {
    expect(mayTakeSlot({ slots: 8, reserve: 0, running: 7, held: 7 })).toBe(true);
  });
});

describe("defaultSlotReserve", () => {
  it.each([
    { slots: 1, reserve: 0 },
    { slots: 2, reserve: 1 },
    { slots: 8, reserve: 1 },
    { slots: 16, reserve: 2 },
    { slots: 64, reserve: 8 },
  ])("keeps $reserve of $slots slots", ({ slots, reserve }) => {
    expect(defaultSlotReserve(slots)).toBe(reserve);
  });
});
