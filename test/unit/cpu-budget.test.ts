/**
 * The CPU budgets of an activation (decisions/cpu-budget.ts): where the watchdog charges the CPU it
 * samples, and when it kills. Also how the Node 20 source, a thread's /proc stat line, is read.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../contract/mod.ts";
import { chargeCpu, decideCpuBudget, openCpuAccount, type CpuAccount, type CpuSample, type RunningAttempt } from "../../executor/decisions/cpu-budget.ts";
import { parseProcStatCpuMs } from "../../executor/sandbox/thread-clock.ts";

const LIMITS = { runCpuMs: 1_000, stepCpuMs: 5_000 };
const fetchStep: RunningAttempt = { key: "fetch#1", name: "fetch", attempt: 1 };

function sample(cpuMs: number, step?: RunningAttempt, stepsStarted = 0): CpuSample {
  return { cpuMs, step, stepsStarted };
}

/** Charges the samples in order, from an account opened at the first. */
function charge(...samples: CpuSample[]): CpuAccount {
  const [first, ...rest] = samples;
  return rest.reduce(chargeCpu, openCpuAccount(first!));
}

describe("charging CPU", () => {
  it("charges CPU between samples with no step to the code outside steps", () => {
    const account = charge(sample(500), sample(600), sample(900));
    expect(account.runCpuMs).toBe(400);
    expect(account.step).toBeUndefined();
  });

  it("charges an interval in which a step body ran to that step, not to the run budget", () => {
    const account = charge(sample(0), sample(100, fetchStep, 1), sample(400, fetchStep, 1));
    expect(account.runCpuMs).toBe(0);
    expect(account.step).toMatchObject({ key: "fetch#1", attempt: 1, cpuMs: 400 });
  });

  it("gives the run budget the benefit of the doubt for a step that started and ended between samples", () => {
    expect(charge(sample(0), sample(100, undefined, 1)).runCpuMs).toBe(0);
  });

  it("charges the interval a step ended in to nobody, then the code after it to the run budget", () => {
    const account = charge(sample(0, fetchStep, 1), sample(100, undefined, 1), sample(250, undefined, 1));
    expect(account.runCpuMs).toBe(150);
    expect(account.step).toBeUndefined();
  });

  it("starts a new attempt's account from zero", () => {
    const second = { ...fetchStep, attempt: 2 };
    const account = charge(sample(0, fetchStep, 1), sample(4_000, fetchStep, 1), sample(4_100, second, 2));
    expect(account.step).toMatchObject({ attempt: 2, cpuMs: 100 });
  });

  it("never charges a clock that went backwards", () => {
    expect(charge(sample(500), sample(400)).runCpuMs).toBe(0);
  });
});

describe("deciding", () => {
  it("lets an activation within both budgets go on", () => {
    expect(decideCpuBudget(charge(sample(0), sample(1_000)), LIMITS)).toEqual({ do: "ok" });
  });

  it("kills the activation over limits.runCpuMs with WorkflowCpuLimitError naming the limit and how to raise it", () => {
    const verdict = decideCpuBudget(charge(sample(0), sample(1_001)), LIMITS);
    expect(verdict).toMatchObject({ do: "kill", phase: "run", error: { name: "WorkflowCpuLimitError", code: ErrorCode.limitExceeded } });
    if (verdict.do !== "kill") throw new Error("unreachable");
    expect(verdict.error.message).toContain("1000 ms");
    expect(verdict.error.message).toContain("raise limits.runCpuMs");
  });

  it("fails a step attempt over limits.stepCpuMs with StepCpuLimitError naming the step and attempt", () => {
    const verdict = decideCpuBudget(charge(sample(0, fetchStep, 1), sample(5_001, fetchStep, 1)), LIMITS);
    expect(verdict).toMatchObject({ do: "kill", phase: "step", step: fetchStep, error: { name: "StepCpuLimitError", code: ErrorCode.limitExceeded } });
    if (verdict.do !== "kill") throw new Error("unreachable");
    expect(verdict.error.message).toContain('step "fetch" attempt 1');
    expect(verdict.error.message).toContain("limits.stepCpuMs");
  });

  it("does not count step CPU against the run budget", () => {
    expect(decideCpuBudget(charge(sample(0, fetchStep, 1), sample(4_000, fetchStep, 1)), LIMITS)).toEqual({ do: "ok" });
  });
});

describe("a thread's /proc stat line", () => {
  it("gives utime + stime in milliseconds (100 ticks a second)", () => {
    const line = "8349 (node) R 8347 8347 6324 0 -1 4194304 100 0 0 0 250 13 0 0 20 0 1 0 432864 3133440 379";
    expect(parseProcStatCpuMs(line)).toBe(2_630);
  });

  it("counts fields after the last ')', whatever the thread's name holds", () => {
    const line = "12 (we ird) (name)) S 1 1 1 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1";
    expect(parseProcStatCpuMs(line)).toBe(100);
  });

  it("refuses a line that is not one, quoting it", () => {
    expect(() => parseProcStatCpuMs("garbage")).toThrow(/'garbage'/);
  });

  it("reads this thread's own stat, which grows as the thread spins", () => {
    // Synchronous on purpose: the async fs calls run on a libuv pool thread, with a /proc/thread-self of its own.
    const tid = readlinkSync("/proc/thread-self").split("/").pop();
    const read = () => parseProcStatCpuMs(readFileSync(`/proc/self/task/${tid}/stat`, "utf8"));
    const before = read();
    for (const started = performance.now(); performance.now() - started < 50;);
    expect(read()).toBeGreaterThan(before);
  });
});
