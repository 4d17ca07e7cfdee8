import type { Backoff, Duration, WorkflowEvent } from "../contract/mod.ts";

/** What `run` receives as its first argument (Cloudflare Workflows' `WorkflowEvent`). */
export interface WorkflowRunEvent<Params = unknown> {
  readonly payload: Readonly<Params>;
  readonly timestamp: Date;
  readonly instanceId: string;
}

export interface WorkflowStepConfig {
  /** @default { limit: 5, delay: "10 seconds", backoff: "exponential" } */
  retries?: { limit: number; delay: Duration; backoff?: Backoff };
  /** Per attempt. @default "10 minutes" */
  timeout?: Duration;
}

export interface WaitForEventOptions {
  type: string;
  /** @default "24 hours" */
  timeout?: Duration;
}

export type Serializable = string | number | boolean | null | undefined | void | Serializable[] | { [key: string]: Serializable };

export interface WorkflowStep {
  do<T>(name: string, callback: () => Promise<T> | T): Promise<T>;
  do<T>(name: string, config: WorkflowStepConfig, callback: () => Promise<T> | T): Promise<T>;
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<T = unknown>(name: string, options: WaitForEventOptions): Promise<WorkflowEvent & { payload: T }>;
}

export type { WorkflowEvent, Duration, Backoff };
