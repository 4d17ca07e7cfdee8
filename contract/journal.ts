import type { SerializedError } from "./errors.ts";

/** How a failing `step.do` spaces its retries. */
export type Backoff = "constant" | "linear" | "exponential";

export interface ResolvedRetries {
  limit: number;
  delayMs: number;
  backoff: Backoff;
}

/** Cloudflare Workflows' defaults for `step.do`. */
export const DEFAULT_RETRIES: ResolvedRetries = { limit: 5, delayMs: 10_000, backoff: "exponential" };
export const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;

/** The delay before attempt `failedAttempt + 1`, given that attempt `failedAttempt` (1-based) failed. */
export function retryDelayMs(retries: ResolvedRetries, failedAttempt: number): number {
  switch (retries.backoff) {
    case "constant":
      return retries.delayMs;
    case "linear":
      return retries.delayMs * failedAttempt;
    case "exponential":
      return retries.delayMs * 2 ** (failedAttempt - 1);
  }
}

/** A delivered event, as `step.waitForEvent` returns it. */
export interface WorkflowEvent {
  type: string;
  payload: unknown;
  timestamp: number;
}

interface StepRecordBase {
  /** Position of the step among all step calls of the run, in call order. */
  seq: number;
  name: string;
  key: string;
  startedAt: number;
  completedAt: number;
}

/**
 * One completed step in `kiln_journal`, written once with KV `create`. Replay returns `result` (or
 * throws `error`) without running the step again.
 */
export type StepRecord =
  /** `sensitive`: the step asked (`sensitive: "output"`) to keep its result out of the status and logs. */
  | (StepRecordBase & { kind: "do"; status: "ok"; result: unknown; attempts: number; sensitive?: true })
  | (StepRecordBase & { kind: "do"; status: "failed"; error: SerializedError; attempts: number })
  | (StepRecordBase & { kind: "sleep"; status: "ok"; until: number })
  | (StepRecordBase & { kind: "event"; status: "ok"; event: WorkflowEvent; inboxSeq: number })
  | (StepRecordBase & { kind: "event"; status: "failed"; error: SerializedError });

export type StepKind = StepRecord["kind"];

/** A failed attempt of a `step.do`, kept beside the step (key `<step-key>.a<attempt>`). */
export interface AttemptRecord {
  attempt: number;
  error: SerializedError;
  startedAt: number;
  failedAt: number;
  /**
   * The wait before the next attempt, when one follows: fixed here because a `retries.delay` function
   * chose it in the guest, and a later activation resumes the retry without calling it again.
   */
  retryDelayMs?: number;
}

/** When a `waitForEvent` gives up, fixed the first time the wait is reached (key `<step-key>.deadline`). */
export interface DeadlineRecord {
  deadline: number;
}

export const ATTEMPT_SUFFIX = "a";
export const DEADLINE_SUFFIX = "deadline";
