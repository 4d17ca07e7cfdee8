/**
 * The executor's CPU watchdog (cpu-watchdog.ts) against a fake sandbox clock: it reads every watched
 * activation on its own timer, reports the budget crossed, demotes a CPU-hungry activation's thread
 * once, and keeps no timer once nothing is watched.
 */
import { describe, expect, it } from "vitest";
import { CpuWatchdog, type WatchedActivation } from "../../executor/cpu-watchdog.ts";
import type { CpuVerdict, RunningAttempt } from "../../executor/decisions/cpu-budget.ts";
import { eventually } from "../helpers/eventually.ts";

type Kill = Exclude<CpuVerdict, { do: "ok" }>;

/** An activation whose sandbox burns `msPerRead` of CPU between two reads. */
function spinning(msPerRead: number, step?: RunningAttempt, tenant = "acme") {
  let cpuMs = 0;
  const verdicts: Kill[] = [];
  let demotions = 0;
  const activation: WatchedActivation = {
    tenant,
    cpuMs: async () => (cpuMs += msPerRead),
    loaded: () => true,
    step: () => step,
    stepsStarted: () => (step ? 1 : 0),
    limits: { runCpuMs: 300, stepCpuMs: 300 },
    over: (verdict) => verdicts.push(verdict),
    demote: () => void demotions++,
  };
  return { activation, verdicts, demotions: () => demotions };
}

describe("the CPU watchdog", () => {
  it("reports an activation over its run budget once, and stops watching it", async () => {
    const watchdog = new CpuWatchdog(5);
    const { activation, verdicts } = spinning(100);
    watchdog.watch(activation);
    await eventually("the run budget is crossed", async () => verdicts.length > 0, 5_000, 5);
    expect(verdicts[0]).toMatchObject({ do: "kill", phase: "run", error: { name: "WorkflowCpuLimitError" } });
    expect(watchdog.size).toBe(0);
    watchdog.close();
  });

  it("reports a step attempt over its budget with that attempt", async () => {
    const watchdog = new CpuWatchdog(5);
    const attempt = { key: "s#1", name: "s", attempt: 2 };
    const { activation, verdicts } = spinning(100, attempt);
    watchdog.watch(activation);
    await eventually("the step budget is crossed", async () => verdicts.length > 0, 5_000, 5);
    expect(verdicts[0]).toMatchObject({ do: "kill", phase: "step", step: attempt, error: { name: "StepCpuLimitError" } });
    watchdog.close();
  });

  it("leaves an activation within its budgets alone, and forgets it when told", async () => {
    const watchdog = new CpuWatchdog(5);
    const { activation, verdicts } = spinning(0);
    const forget = watchdog.watch(activation);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(verdicts).toEqual([]);
    forget();
    expect(watchdog.size).toBe(0);
  });

  it("demotes an activation's thread once it has used the CPU it may use at normal priority, and only once", async () => {
    const watchdog = new CpuWatchdog(5, 150);
    const { activation, verdicts, demotions } = spinning(100);
    watchdog.watch(activation);
    // Reads at 0 (the first), 100, 200 ms of CPU: demoted at the third, over the run budget (300) at the fourth.
    await eventually("the run budget is crossed", async () => verdicts.length > 0, 5_000, 5);
    expect(demotions()).toBe(1);
    watchdog.close();
  });

  it("demotes the tenant's next activation from its start, and no other tenant's", async () => {
    const watchdog = new CpuWatchdog(5, 150);
    const hungry = spinning(100);
    watchdog.watch(hungry.activation);
    await eventually("the first activation is demoted", async () => hungry.demotions() === 1, 5_000, 5);
    const next = spinning(0);
    const other = spinning(0, undefined, "other");
    watchdog.watch(next.activation);
    watchdog.watch(other.activation);
    await eventually("the tenant's next activation is demoted", async () => next.demotions() === 1, 5_000, 5);
    expect(other.demotions()).toBe(0);
    watchdog.close();
  });

  it("does not count the CPU a fresh sandbox used to load toward its priority", async () => {
    const watchdog = new CpuWatchdog(5, 150);
    let reads = 0;
    let demoted = false;
    watchdog.watch({
      tenant: "acme",
      // 1,000 ms of loading over the first three reads, then nothing: the activation itself is idle.
      cpuMs: async () => Math.min(++reads, 3) * 1_000,
      loaded: () => reads >= 3,
      step: () => undefined,
      stepsStarted: () => 0,
      limits: { runCpuMs: 1_000_000, stepCpuMs: 1_000_000 },
      over: () => undefined,
      demote: () => void (demoted = true),
    });
    await eventually("the watchdog read it a few times after it loaded", async () => reads > 6, 5_000, 5);
    expect(demoted).toBe(false);
    watchdog.close();
  });

  it("demotes nothing with demoteAfterCpuMs 0", async () => {
    const watchdog = new CpuWatchdog(5, 0);
    const { activation, verdicts, demotions } = spinning(100);
    watchdog.watch(activation);
    await eventually("the run budget is crossed", async () => verdicts.length > 0, 5_000, 5);
    expect(demotions()).toBe(0);
    watchdog.close();
  });

  it("watches nothing with an interval of 0 (the bench's baseline for its cost)", async () => {
    const watchdog = new CpuWatchdog(0);
    const { activation, verdicts } = spinning(100);
    watchdog.watch(activation);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(verdicts).toEqual([]);
    expect(watchdog.size).toBe(0);
  });
});
