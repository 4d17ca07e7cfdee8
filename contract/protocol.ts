/**
 * The activation protocol between the engine (host) and the guest SDK inside a tenant component.
 * It rides on the WIT world `kiln:workflow` (wit/workflow.wit): the host calls the export `activate(request)` once per
 * activation, and the guest calls the import `engine.call(request)` synchronously for every step decision.
 * Both directions are JSON documents described here, so a component written in any language can
 * implement the world.
 *
 * What the guest sends (`EngineRequest`, `ActivationResult`) is defined by zod schemas and parsed by the
 * host with `parseEngineRequest` / `parseActivationResult`: a component may be hand-built or hostile,
 * and the types are inferred from the schemas so that what the SDK sends and what the host accepts
 * cannot drift. What the host sends (`ActivationRequest`, `EngineResponse`) is trusted by the guest.
 */
import { z } from "zod";
import { describeIssue } from "./describe-issue.ts";
import { MAX_ERROR_NAME_LENGTH, MAX_ERROR_TEXT_LENGTH, ProtocolError, type SerializedError } from "./errors.ts";
import type { ResolvedRetries, StepRecord, WorkflowEvent } from "./journal.ts";
import {
  MAX_ACTIVATION_RESULT_CHARS,
  MAX_ENGINE_REQUEST_CHARS,
  MAX_EVENT_TYPE_LENGTH,
  MAX_RANDOM_BYTES,
  MAX_STEP_NAME_LENGTH,
  MAX_STEP_RESULT_BYTES,
  MAX_STEPS,
} from "./protocol-limits.ts";

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

const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** Durations and counts the SDK takes from tenant code as they are (whole milliseconds, whole numbers). */
const whole = int(0, Number.MAX_SAFE_INTEGER);

/** An error reported by the guest. A `code` is the platform's to set, so it is dropped. */
const guestError = z.object({
  name: z.string().max(MAX_ERROR_NAME_LENGTH),
  message: z.string().max(MAX_ERROR_TEXT_LENGTH),
  stack: z.string().max(MAX_ERROR_TEXT_LENGTH).optional(),
}) satisfies z.ZodType<SerializedError>;

const retries = z.object({
  limit: whole,
  delayMs: whole,
  backoff: z.enum(["constant", "linear", "exponential"]),
}) satisfies z.ZodType<ResolvedRetries>;

/**
 * A step's place in the run and in the journal. `key` is `stepKey(name, occurrence)`: one base64url
 * token, a dot and a number, so it is one KV-safe key segment pair under the instance's prefix and
 * can address nothing else.
 */
const stepAt = {
  seq: int(0, MAX_STEPS - 1),
  key: z.string().regex(/^[A-Za-z0-9_-]{1,1024}\.(?:0|[1-9][0-9]{0,5})$/, "expected a step key: stepKey(name, occurrence), e.g. 'c3RlcA.1'"),
  name: z.string().min(1).max(MAX_STEP_NAME_LENGTH),
};

const textEncoder = new TextEncoder();
const stepResult = z
  .string()
  .max(MAX_STEP_RESULT_BYTES)
  .refine(
    (json) => json.length * 3 <= MAX_STEP_RESULT_BYTES || textEncoder.encode(json).byteLength <= MAX_STEP_RESULT_BYTES,
    `a step result is at most ${MAX_STEP_RESULT_BYTES} bytes of JSON`,
  );

export const engineRequestSchema = z.discriminatedUnion(
  "op",
  [
    z.object({ op: z.literal("step"), ...stepAt, timeoutMs: whole, retries }),
    /** The running attempt's body returned `result` (JSON); the host knows when the attempt started. */
    z.object({ op: z.literal("commit"), ...stepAt, result: stepResult, attempt: int(1, Number.MAX_SAFE_INTEGER), sensitive: z.boolean().optional() }),
    /** `delayMs`: what the step's `retries.delay` function chose for the retry after this attempt. */
    z.object({
      op: z.literal("fail"),
      ...stepAt,
      error: guestError,
      attempt: int(1, Number.MAX_SAFE_INTEGER),
      nonRetryable: z.boolean(),
      retries,
      delayMs: whole.optional(),
    }),
    z.object({ op: z.literal("sleep"), ...stepAt, until: z.number().nullable(), durationMs: whole }),
    z.object({ op: z.literal("wait"), ...stepAt, type: z.string().min(1).max(MAX_EVENT_TYPE_LENGTH), timeoutMs: whole }),
    z.object({ op: z.literal("now") }),
    z.object({ op: z.literal("random"), bytes: int(1, MAX_RANDOM_BYTES) }),
  ],
  { error: () => "expected one of step, commit, fail, sleep, wait, now, random" },
);
export type EngineRequest = z.infer<typeof engineRequestSchema>;

export const activationResultSchema = z.discriminatedUnion(
  "outcome",
  [
    z.object({ outcome: z.literal("complete"), output: z.unknown() }),
    z.object({ outcome: z.literal("errored"), error: guestError }),
    /** The host already knows why: it answered `suspend` to one of the guest's calls. */
    z.object({ outcome: z.literal("suspended") }),
  ],
  { error: () => "expected one of complete, errored, suspended" },
);
export type ActivationResult = z.infer<typeof activationResultSchema>;

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

/** One `engine.call` request from the guest; throws `ProtocolError` saying what is wrong with it. */
export function parseEngineRequest(json: string): EngineRequest {
  return parseGuestJson(json, engineRequestSchema, MAX_ENGINE_REQUEST_CHARS, "engine.call request");
}

/** The guest's `activate` answer; throws `ProtocolError` saying what is wrong with it. */
export function parseActivationResult(json: string): ActivationResult {
  return parseGuestJson(json, activationResultSchema, MAX_ACTIVATION_RESULT_CHARS, "activate result");
}

/** A committed step's result, from the JSON text the guest sent; throws `ProtocolError` if it is not JSON. */
export function parseStepResult(json: string, step: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new ProtocolError("engine.call request", `the result of step "${step}" is not JSON (${(error as Error).message})`, { cause: error });
  }
}

function parseGuestJson<T extends z.ZodType>(json: string, schema: T, maxChars: number, what: string): z.infer<T> {
  if (json.length > maxChars) throw new ProtocolError(what, `it is ${json.length} characters long, over the limit of ${maxChars}`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ProtocolError(what, `it is not JSON (${(error as Error).message}): ${quote(json)}`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ProtocolError(what, `${describeIssue(parsed.error.issues[0]!)} in ${quote(json)}`);
  return parsed.data;
}

/** The start of what the guest sent, for the error message. */
function quote(json: string): string {
  return json.length > 200 ? `'${json.slice(0, 200)}…'` : `'${json}'`;
}

export type { WorkflowEvent };
