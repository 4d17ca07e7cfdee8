/**
 * Whether one activation is within its CPU budgets: `limits.runCpuMs` for code outside step bodies
 * (replay and the code between steps), `limits.stepCpuMs` per step attempt. Pure functions of what
 * the watchdog sampled; `CpuWatchdog` does the sampling and the killing.
 *
 * The watchdog samples the sandbox thread's CPU every 100 ms and never on the step path, so a sample
 * cannot say exactly where in its interval a step started or ended. An interval during which a step
 * body ran at all is charged to that step, never to `runCpuMs`: the budget outside steps is the one
 * that kills the whole activation, so any doubt goes the tenant's way there. A step attempt is
 * charged from the first interval it was seen in, which may hold up to one interval of the code
 * before it (charged against the tenant, by at most what 100 ms can burn).
 */
import { ErrorCode, type SerializedError } from "../../contract/mod.ts";

/** The step attempt whose body runs, as the engine tells it. */
export interface RunningAttempt {
  readonly key: string;
  readonly name: string;
  readonly attempt: number;
}

/** What the watchdog read at one tick. */
export interface CpuSample {
  /** The sandbox thread's CPU so far, in milliseconds (monotonic). */
  readonly cpuMs: number;
  /** The attempt whose body runs now, if any. */
  readonly step: RunningAttempt | undefined;
  /** Step attempts started in this activation so far: tells whether one started and ended between ticks. */
  readonly stepsStarted: number;
}

/** CPU charged to one activation so far. */
export interface CpuAccount {
  /** The previous sample (the first one when the activation was registered). */
  readonly last: CpuSample;
  /** CPU of code outside step bodies. */
  readonly runCpuMs: number;
  /** The attempt seen running at the last sample and the CPU charged to it. */
  readonly step: (RunningAttempt & { readonly cpuMs: number }) | undefined;
}

export interface CpuLimits {
  readonly runCpuMs: number;
  readonly stepCpuMs: number;
}

export type CpuVerdict =
  | { do: "ok" }
  /** Kill the sandbox; the activation is retried with backoff, then the instance errors. */
  | { do: "kill"; phase: "run"; error: SerializedError }
  /** Fail this attempt (its sandbox goes with it); the step's retry policy applies. */
  | { do: "kill"; phase: "step"; step: RunningAttempt; error: SerializedError };

export function openCpuAccount(first: CpuSample): CpuAccount {
  return { last: first, runCpuMs: 0, step: undefined };
}

/** Charges the CPU used since the last sample to the code outside steps or to the running attempt. */
export function chargeCpu(account: CpuAccount, sample: CpuSample): CpuAccount {
  const usedMs = Math.max(0, sample.cpuMs - account.last.cpuMs);
  const stepRan = sample.step !== undefined || account.last.step !== undefined || sample.stepsStarted !== account.last.stepsStarted;
  if (!stepRan) return { last: sample, runCpuMs: account.runCpuMs + usedMs, step: undefined };
  if (sample.step === undefined) return { last: sample, runCpuMs: account.runCpuMs, step: undefined };
  const same = account.step !== undefined && account.step.key === sample.step.key && account.step.attempt === sample.step.attempt;
  return { last: sample, runCpuMs: account.runCpuMs, step: { ...sample.step, cpuMs: (same ? account.step.cpuMs : 0) + usedMs } };
}

export function decideCpuBudget(account: CpuAccount, limits: CpuLimits): CpuVerdict {
  if (account.step !== undefined && account.step.cpuMs > limits.stepCpuMs) {
    const { key, name, attempt } = account.step;
    return { do: "kill", phase: "step", step: { key, name, attempt }, error: stepCpuLimitError(name, attempt, limits.stepCpuMs) };
  }
  if (account.runCpuMs > limits.runCpuMs) return { do: "kill", phase: "run", error: workflowCpuLimitError(limits.runCpuMs) };
  return { do: "ok" };
}

export function workflowCpuLimitError(runCpuMs: number): SerializedError {
  return {
    name: "WorkflowCpuLimitError",
    code: ErrorCode.limitExceeded,
    message:
      `the workflow used more than ${runCpuMs} ms of CPU outside step bodies in one activation (limits.runCpuMs): ` +
      "look for a loop that never ends between steps, move heavy work into a step.do (its budget is limits.stepCpuMs), " +
      "or ask the platform admin to raise limits.runCpuMs",
  };
}

export function stepCpuLimitError(step: string, attempt: number, stepCpuMs: number): SerializedError {
  return {
    name: "StepCpuLimitError",
    code: ErrorCode.limitExceeded,
    message:
      `step "${step}" attempt ${attempt} used more than ${stepCpuMs} ms of CPU (limits.stepCpuMs): ` +
      "split the work into several steps, or ask the platform admin to raise limits.stepCpuMs",
  };
}
