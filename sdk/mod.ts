/**
 * `kiln:workflow` — the module tenant code imports (also reachable as `cloudflare:workers`).
 */
import type { WorkflowRunEvent, WorkflowStep } from "./types.ts";

export { NonRetryableError } from "./errors.ts";
export type {
  WorkflowRunEvent as WorkflowEvent,
  WorkflowStep,
  WorkflowStepConfig,
  WorkflowStepContext,
  RetryDelay,
  WaitForEventOptions,
  Duration,
  Backoff,
} from "./types.ts";

const ENTRYPOINT_BRAND = Symbol.for("kiln.workflow-entrypoint");

/** Base class of every workflow: extend it and implement `run(event, step)`. */
export abstract class WorkflowEntrypoint<Env = Record<string, unknown>, Params = unknown> {
  static readonly [ENTRYPOINT_BRAND] = true;
  constructor(
    protected readonly ctx: unknown,
    protected readonly env: Env,
  ) {}
  abstract run(event: WorkflowRunEvent<Params>, step: WorkflowStep): Promise<unknown>;
}

/** Cloudflare's Worker base class, accepted so Worker files deploy unchanged; Kiln ignores Workers. */
export class WorkerEntrypoint<Env = unknown> {
  constructor(
    protected readonly ctx: unknown,
    protected readonly env: Env,
  ) {}
}

export function isWorkflowClass(value: unknown): value is new (ctx: unknown, env: unknown) => WorkflowEntrypoint {
  return typeof value === "function" && (value as unknown as Record<symbol, unknown>)[ENTRYPOINT_BRAND] === true;
}
