/**
 * The activation protocol between the engine (host) and the guest SDK inside a tenant component.
 * It rides on the WIT world `kiln:workflow` (wit/workflow.wit): the host calls the export `activate(request)` once per
 * activation, and the guest calls the import `engine.call(request)` synchronously for every step decision.
 * Both directions are JSON documents described here, so a component written in any language can
 * implement the world.
 */
import type { SerializedError } from "./errors.ts";
import type { ResolvedRetries, StepRecord, WorkflowEvent } from "./journal.ts";

export const PROTOCOL_VERSION = 1;

export interface ActivationRequest {
  v: typeof PROTOCOL_VERSION;
  instanceId: string;
  workflow: string;
  params: unknown;
  /** When the instance was created (`event.timestamp`). */
  createdAt: number;
  /** The host's clock when the activation started: a recorded sleep until then is over. */
  now: number;
  /** Completed steps of the current generation, in `seq` order. */
  journal: StepRecord[];
  /** Seeds replay-stable `Math.random()` outside step bodies. */
  seed: string;
  /**
   * `this.env`: the tenant's `env.vars` and its decrypted secrets (a secret wins over a variable of
   * the same name). Secrets travel to the sandbox only here, in memory: this request is never
   * persisted, and nothing the engine writes (envelope, journal metadata, instance record, lifecycle
   * event) copies from it.
   */
  env: Record<string, string>;
}

export type ActivationResult =
  | { outcome: "complete"; output: unknown }
  | { outcome: "errored"; error: SerializedError }
  /** The host already knows why: it answered `suspend` to one of the guest's calls. */
  | { outcome: "suspended" };

export type EngineRequest =
  | { op: "step"; seq: number; key: string; name: string; timeoutMs: number; retries: ResolvedRetries }
  /** The running attempt's body returned `result` (JSON); the host knows when the attempt started. */
  | { op: "commit"; seq: number; key: string; name: string; result: string; attempt: number }
  | {
      op: "fail";
      seq: number;
      key: string;
      name: string;
      error: SerializedError;
      attempt: number;
      nonRetryable: boolean;
      retries: ResolvedRetries;
    }
  | { op: "sleep"; seq: number; key: string; name: string; until: number | null; durationMs: number }
  | { op: "wait"; seq: number; key: string; name: string; type: string; timeoutMs: number }
  | { op: "now" }
  | { op: "random"; bytes: number };

export type EngineResponse =
  /** Run the step body; this is attempt number `attempt`. */
  | { action: "run"; attempt: number }
  /**
   * Go on: the step is recorded at `completedAt` (which moves the replay-stable clock); a `wait`
   * also gets its `event`. Results are never echoed back: the guest already has them.
   */
  | { action: "continue"; completedAt: number; event?: WorkflowEvent }
  /** The step failed for good (or a wait timed out): throw this into `run`. */
  | { action: "throw"; record: StepRecord }
  /** Stop here: the activation ends and the host resumes the instance later (or never, if terminated). */
  | { action: "suspend" }
  | { action: "now"; now: number }
  | { action: "random"; bytes: number[] }
  /** The request itself was wrong (a bug in the guest or the tenant's use of the SDK). */
  | { action: "reject"; error: SerializedError };

export type { WorkflowEvent };
