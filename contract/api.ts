/**
 * The HTTP API's answers as they travel: what the gateway sends and what `client/` reads. Times are
 * ISO 8601 strings on the wire (the records inside keep epoch milliseconds). Types only, so the
 * client pulls no runtime code from here.
 */
import type { ErrorCode, SerializedError } from "./errors.ts";
import type { InstanceStatus } from "./instance.ts";

/** Every 4xx and 5xx: `{ error: { code, message, ... } }`; a 429 or 503 adds `retryAfterMs`. */
export interface ApiErrorBody {
  error: { code: ErrorCode | (string & {}); message: string; retryAfterMs?: number; [detail: string]: unknown };
  /** On a 422 from a deploy: every problem the compiler found. */
  errors?: CompileDiagnostic[];
}

/**
 * One compile problem, pointing into the tenant's own files. `line` and `column` are 1-based; both
 * are 0 when the problem has no position (an uploaded component, a file that is missing).
 */
export interface CompileDiagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** `PUT /v1/tenants/:t/workflows/:w` → 201. */
export interface DeployAnswer {
  version: string;
  /** Identical source was deployed before: nothing was compiled. */
  unchanged?: boolean;
  /** The WIT interfaces the version imports (`logging`, `engine`, `http`). */
  capabilities?: string[];
  warnings?: string[];
}

/** `GET /v1/tenants/:t/workflows` → `{ workflows: [...] }`. */
export interface WorkflowSummary {
  name: string;
  latestVersion: string;
  updatedAt: string;
}

/** `GET /v1/tenants/:t/workflows/:w`. */
export interface WorkflowView {
  name: string;
  latestVersion: string;
  versions: Array<{ version: string; createdAt: string; source: string; capabilities?: string[] }>;
  createdAt: string;
  updatedAt: string;
}

/** `POST …/instances` → 201. */
export interface CreatedInstance {
  id: string;
  version: string;
}

/** `POST …/instances/batch` → 201: one entry per item, in order; a refused one carries its error. */
export interface BatchAnswer {
  instances: Array<CreatedInstance | { id: string; error: { code: string; message: string } }>;
}

/** One step of `GET …/instances/:id` (and the whole of `GET …/steps/:name/:count`). */
export interface StepView {
  name: string;
  /** The occurrence of `name` in the run, from 1: with the name, the step's address in the steps route. */
  count: number;
  type: "do" | "sleep" | "waitForEvent";
  status: "complete" | "failed" | "running" | "retrying" | "sleeping" | "waiting";
  attempts: number;
  startedAt?: string;
  completedAt?: string;
  output?: unknown;
  /** The step was `sensitive: "output"`: its output is recorded and replayed, never shown. */
  redacted?: "output";
  /** The output was left out of the status view for its size; the steps route has it whole. */
  outputTruncated?: { bytes: number; limit: number };
  error?: SerializedError;
  until?: string;
  event?: unknown;
  failedAttempts?: { attempt: number; error: SerializedError; startedAt: string; failedAt: string }[];
}

/** `GET …/instances/:id`: the tenant's view; platform fields (lease, wake carrier, generation) never show. */
export interface InstanceView {
  id: string;
  workflow: string;
  version: string;
  status: InstanceStatus;
  params: unknown;
  output?: unknown;
  error?: SerializedError;
  /** While sleeping or waiting: on what, and until when. */
  suspended?: { kind: string; step: string; until?: string; eventType?: string };
  /** While the platform keeps failing to run the instance: why, how often, and the next try. */
  platformFailure?: { code: string; message: string; failures: number; retryAt: string };
  /** While activations killed over `limits.runCpuMs` are retried: why, how often, and the next try. */
  cpuLimit?: { message: string; failures: number; retryAt: string };
  /** While activations that ran out of `limits.memoryBytes` outside steps are retried, in a fresh sandbox each. */
  memoryLimit?: { message: string; failures: number; retryAt: string };
  /** While due but held back because the tenant runs `limits.concurrency` activations: the limit, and since when. */
  concurrencyWait?: { limit: number; since: string };
  steps: StepView[];
  createdAt: string;
  updatedAt: string;
}

/** An instance in `GET …/instances` (`{ instances, cursor? }`). */
export interface InstanceSummary {
  id: string;
  workflow: string;
  version: string;
  status: InstanceStatus;
  createdAt: string;
  updatedAt: string;
}

/** One page of `GET …/instances`; `cursor` is there while more follow. */
export interface InstancePage {
  instances: InstanceSummary[];
  cursor?: string;
}

/** One `status` event of `GET …/instances/:id/stream`: the summary, and the outcome once there is one. */
export interface StatusChange extends InstanceSummary {
  output?: unknown;
  error?: SerializedError;
}

/** `POST …/instances/:id/{pause,resume,terminate,restart}`; `pending` while a running activation has yet to apply it. */
export interface LifecycleAnswer {
  id: string;
  status: InstanceStatus;
  pending?: "pause" | "terminate";
}

/**
 * One line of `GET …/instances/:id/logs` (`{ lines }`, or one `log` event each with `?follow=1`), as
 * the executor publishes it. `ts` is epoch ms, as stored.
 */
export interface LogLine {
  ts: number;
  level: string;
  message: string;
  /** `tenant` for the workflow's own console output, `engine` for step lifecycle lines. */
  source: "tenant" | "engine";
}

/** `GET /v1/tenants/:t/secrets` → `{ secrets }`: names and times only, never values. */
export interface SecretView {
  name: string;
  updatedAt: string;
}
