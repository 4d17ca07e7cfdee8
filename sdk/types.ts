import type { Backoff, Duration, WorkflowEvent } from "../contract/mod.ts";

/** What `run` receives as its first argument (Cloudflare Workflows' `WorkflowEvent`). */
export interface WorkflowRunEvent<Params = unknown> {
  readonly payload: Readonly<Params>;
  readonly timestamp: Date;
  readonly instanceId: string;
  readonly workflowName: string;
}

/** What a `step.do` callback receives (Cloudflare Workflows' `WorkflowStepContext`). */
export interface WorkflowStepContext {
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** The step's name and its occurrence count in this run (a loop may reuse a name). */
  readonly step: { readonly name: string; readonly count: number };
  /** The step's configuration with every default filled in. */
  readonly config: { readonly retries: { readonly limit: number; readonly delay: RetryDelay; readonly backoff: Backoff }; readonly timeout: Duration };
}

/**
 * The wait before a retry: a duration (grown by `backoff`), or a function of the failed attempt that
 * returns the duration itself. The function runs in the step's attempt, so the step's timeout and CPU
 * budget bound it; if it throws or returns no duration, the step fails without further retries.
 */
export type RetryDelay = Duration | ((failure: { ctx: WorkflowStepContext; error: Error }) => Duration);

export interface WorkflowStepConfig {
  /** @default { limit: 5, delay: "10 seconds", backoff: "exponential" } */
  retries?: { limit: number; delay: RetryDelay; backoff?: Backoff };
  /** Per attempt. @default "10 minutes" */
  timeout?: Duration;
  /**
   * `"output"`: the step's result is still recorded and replayed to `run`, but the status view and the
   * steps route show it as redacted.
   */
  sensitive?: "output";
}

export interface WaitForEventOptions {
  type: string;
  /** @default "24 hours" */
  timeout?: Duration;
}

export type Serializable = string | number | boolean | null | undefined | void | Serializable[] | { [key: string]: Serializable };

export type StepCallback<T> = (ctx: WorkflowStepContext) => Promise<T> | T;

export interface WorkflowStep {
  do<T>(name: string, callback: StepCallback<T>): Promise<T>;
  do<T>(name: string, config: WorkflowStepConfig, callback: StepCallback<T>): Promise<T>;
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<T = unknown>(name: string, options: WaitForEventOptions): Promise<WorkflowEvent & { payload: T }>;
}

export type { WorkflowEvent, Duration, Backoff };
