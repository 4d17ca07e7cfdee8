/** When a sandbox thread is demoted to the lowest CPU priority (executor/decisions/cpu-priority.ts). */
import { expect, it } from "vitest";
import { decidePriority, DEMOTE_AFTER_CPU_MS, TENANT_DEMOTED_MS } from "../../executor/decisions/cpu-priority.ts";

const NOW = 100_000;

it.each([
  { case: "below the threshold, it runs on at its priority", usedMs: 99, demoted: false, tenantHungryAt: undefined, demote: false, hungry: false },
  { case: "at the threshold, it is demoted and its tenant remembered", usedMs: 100, demoted: false, tenantHungryAt: undefined, demote: true, hungry: true },
  { case: "once demoted, it is not demoted again, but still remembered", usedMs: 500, demoted: true, tenantHungryAt: undefined, demote: false, hungry: true },
  { case: "its tenant was hungry just now: demoted from its start", usedMs: 0, demoted: false, tenantHungryAt: NOW - 1, demote: true, hungry: false },
  {
    case: "its tenant was hungry long ago: it runs at its priority",
    usedMs: 0,
    demoted: false,
    tenantHungryAt: NOW - TENANT_DEMOTED_MS,
    demote: false,
    hungry: false,
  },
])("$case", ({ usedMs, demoted, tenantHungryAt, demote, hungry }) => {
  expect(decidePriority({ usedMs, demoted, tenantHungryAt }, NOW, DEMOTE_AFTER_CPU_MS)).toEqual({ demote, hungry });
});

it("never demotes with a threshold of 0", () => {
  expect(decidePriority({ usedMs: 10_000, demoted: false, tenantHungryAt: NOW }, NOW, 0)).toEqual({ demote: false, hungry: false });
});
