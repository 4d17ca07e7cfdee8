/**
 * The `step` object handed to `run`: records every step through the engine and replays the journal.
 * Step bodies run one at a time (the guest is single-threaded and its host calls are synchronous, so
 * nothing is lost), which makes "inside a step body" a well-defined state for time, randomness and
 * nested-step detection.
 */
import {
  DEFAULT_RETRIES,
  DEFAULT_STEP_TIMEOUT_MS,
  MAX_EVENT_TYPE_LENGTH,
  MAX_STEP_NAME_LENGTH,
  MAX_STEP_RESULT_BYTES,
  parseDuration,
  serializeError,
  encodeKeyToken,
  stepKeyOf,
  type ActivationRequest,
  type EngineRequest,
  type EngineResponse,
  type ResolvedRetries,
  type SerializedError,
  type StepKind,
  type StepRecord,
  type WorkflowEvent,
} from "../contract/mod.ts";
import { engineCall } from "./host.ts";
import { isNonRetryable, NonDeterminismError, StepUsageError, WaitForEventTimeoutError } from "./errors.ts";
import type { RetryDelay, StepCallback, WaitForEventOptions, WorkflowStep, WorkflowStepConfig, WorkflowStepContext } from "./types.ts";

const DEFAULT_WAIT_TIMEOUT_MS = 24 * 3_600_000;

interface Claim {
  seq: number;
  key: string;
  name: string;
  /** The occurrence of `name` in this run, from 1. */
  count: number;
  record: StepRecord | undefined;
}

/** A `step.do`'s configuration as its body sees it (`ctx.config`), and what the engine is told. */
interface StepPlan {
  retries: ResolvedRetries;
  /** The tenant's `retries.delay` when it is a function: the engine then waits what it returns. */
  delayFunction: Extract<RetryDelay, (...args: never[]) => unknown> | undefined;
  timeoutMs: number;
  sensitive: boolean;
  config: WorkflowStepContext["config"];
}

/** Why the activation stopped early; resolves the race in `activate`. */
export type Halt = { kind: "suspended" } | { kind: "failed"; error: Error };

const never = <T>(): Promise<T> => new Promise<T>(() => {});

function reviveError(error: SerializedError): Error {
  const revived = error.name === "WaitForEventTimeoutError" ? new WaitForEventTimeoutError(error.message) : new Error(error.message);
  revived.name = error.name;
  if (error.stack !== undefined) revived.stack = error.stack;
  return revived;
}

function planStep(config: WorkflowStepConfig | undefined): StepPlan {
  const timeoutMs = config?.timeout === undefined ? DEFAULT_STEP_TIMEOUT_MS : parseDuration(config.timeout);
  const sensitive = config?.sensitive;
  if (sensitive !== undefined && sensitive !== "output") throw new StepUsageError(`sensitive may only be "output", got '${String(sensitive)}'`);
  const plan = { timeoutMs, sensitive: sensitive === "output" };
  const retries = config?.retries;
  if (retries === undefined) {
    const { limit, delayMs, backoff } = DEFAULT_RETRIES;
    return { ...plan, retries: DEFAULT_RETRIES, delayFunction: undefined, config: { retries: { limit, delay: delayMs, backoff }, timeout: timeoutMs } };
  }
  if (!Number.isInteger(retries.limit) || retries.limit < 0) {
    throw new StepUsageError(`retries.limit must be a whole number ≥ 0, got '${String(retries.limit)}'`);
  }
  const backoff = retries.backoff ?? "constant";
  if (!["constant", "linear", "exponential"].includes(backoff)) {
    throw new StepUsageError(`retries.backoff must be constant, linear or exponential, got '${String(backoff)}'`);
  }
  const delayFunction = typeof retries.delay === "function" ? retries.delay : undefined;
  const delayMs = delayFunction ? 0 : parseDuration(retries.delay);
  return {
    ...plan,
    retries: { limit: retries.limit, delayMs, backoff },
    delayFunction,
    config: { retries: { limit: retries.limit, delay: retries.delay, backoff }, timeout: config?.timeout ?? timeoutMs },
  };
}

/**
 * Asks the tenant's `retries.delay` function how long to wait after a failed attempt. A delay that
 * cannot be had is a usage error, and the step fails for good with it.
 */
function chooseDelay(plan: StepPlan, ctx: WorkflowStepContext, failure: unknown): number | StepUsageError {
  const error = failure instanceof Error ? failure : new Error(String(failure));
  try {
    return parseDuration(plan.delayFunction!({ ctx, error }));
  } catch (problem) {
    return new StepUsageError(`retries.delay of step "${ctx.step.name}" gave no duration: ${(problem as Error).message}`);
  }
}

export class StepRecorder implements WorkflowStep {
  readonly halted: Promise<Halt>;
  private halt!: (halt: Halt) => void;
  private readonly bySeq = new Map<number, StepRecord>();
  private readonly seqByKey = new Map<string, number>();
  /**
   * Per step name: how often it has been reached in this run, and its key token (`encodeKeyToken`),
   * made once per activation: a loop reuses its names, and SpiderMonkey's interpreter spends ~14 µs
   * per token (UTF-8, base64 and three regex passes), measured in a sandbox with an in-memory engine
   * — about a tenth of the guest's own work per step.
   */
  private readonly names = new Map<string, { token: string; occurrences: number }>();
  private nextSeq = 0;
  private latestStepTime: number;
  private activeBody: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly request: ActivationRequest) {
    this.halted = new Promise((resolve) => (this.halt = resolve));
    this.latestStepTime = request.createdAt;
    for (const record of request.journal) {
      this.bySeq.set(record.seq, record);
      this.seqByKey.set(record.key, record.seq);
    }
  }

  get insideStepBody(): boolean {
    return this.activeBody !== undefined;
  }

  /** Code between steps is replaying while the journal still holds the next step. */
  get replaying(): boolean {
    return this.nextSeq < this.request.journal.length;
  }

  stableNow(): number {
    return this.latestStepTime;
  }

  do<T>(name: string, configOrCallback: WorkflowStepConfig | StepCallback<T>, maybeCallback?: StepCallback<T>): Promise<T> {
    const callback = typeof configOrCallback === "function" ? configOrCallback : maybeCallback;
    const config = typeof configOrCallback === "function" ? undefined : configOrCallback;
    return this.guard(name, () => {
      if (typeof callback !== "function") throw new StepUsageError(`step.do("${name}") needs a callback as its last argument`);
      const plan = planStep(config);
      const claim = this.claim("do", name);
      if (claim.record) return this.replay<T>(claim.record);
      return this.enqueue(() => this.runBody(claim, plan, callback));
    });
  }

  sleep(name: string, duration: number | string): Promise<void> {
    return this.guard(name, () => {
      const durationMs = parseDuration(duration);
      return this.timer(this.claim("sleep", name), null, durationMs);
    });
  }

  sleepUntil(name: string, timestamp: Date | number): Promise<void> {
    return this.guard(name, () => {
      const until = timestamp instanceof Date ? timestamp.getTime() : timestamp;
      if (!Number.isFinite(until)) throw new StepUsageError(`step.sleepUntil("${name}") needs a Date or epoch milliseconds`);
      return this.timer(this.claim("sleep", name), until, 0);
    });
  }

  waitForEvent<T = unknown>(name: string, options: WaitForEventOptions): Promise<WorkflowEvent & { payload: T }> {
    return this.guard(name, () => {
      const type: unknown = options?.type;
      if (typeof type !== "string" || type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH) {
        throw new StepUsageError(`step.waitForEvent("${name}") needs { type }: a non-empty string of at most ${MAX_EVENT_TYPE_LENGTH} characters`);
      }
      const timeoutMs = options.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : parseDuration(options.timeout);
      const claim = this.claim("event", name);
      if (claim.record) return this.replay<WorkflowEvent & { payload: T }>(claim.record);
      return this.enqueue(() => {
        const request: EngineRequest = { op: "wait", seq: claim.seq, key: claim.key, name, type: options.type, timeoutMs };
        return this.settle<WorkflowEvent & { payload: T }>(engineCall(request), request);
      });
    });
  }

  /** Validation errors surface as a rejected promise, as they would from an async function. */
  private guard<T>(name: unknown, start: () => Promise<T>): Promise<T> {
    try {
      if (typeof name !== "string" || name.length === 0 || name.length > MAX_STEP_NAME_LENGTH) {
        throw new StepUsageError(`a step name must be a non-empty string of at most ${MAX_STEP_NAME_LENGTH} characters`);
      }
      if (this.activeBody !== undefined) {
        throw new StepUsageError(`step "${name}" was started inside the body of step "${this.activeBody}"; steps cannot nest — call it from run()`);
      }
      return start();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private claim(kind: StepKind, name: string): Claim {
    let seen = this.names.get(name);
    if (seen === undefined) this.names.set(name, (seen = { token: encodeKeyToken(name), occurrences: 0 }));
    const occurrence = ++seen.occurrences;
    const key = stepKeyOf(seen.token, occurrence);
    const seq = this.nextSeq++;
    const record = this.bySeq.get(seq);
    const recordedSeq = this.seqByKey.get(key);
    if ((record && (record.name !== name || record.kind !== kind)) || (!record && recordedSeq !== undefined)) {
      const recorded = record ? `${record.kind} "${record.name}"` : `nothing (that step was recorded at position ${recordedSeq})`;
      const error = new NonDeterminismError(
        `replay diverged at step #${seq + 1}: the code now runs ${kind} "${name}" where the journal recorded ${recorded}. ` +
          "Code between steps must reach the same steps on every run; deploy changes as a new version and start new instances.",
      );
      this.halt({ kind: "failed", error });
      throw error;
    }
    if (record) this.latestStepTime = Math.max(this.latestStepTime, record.completedAt);
    return { seq, key, name, count: occurrence, record };
  }

  private replay<T>(record: StepRecord): Promise<T> {
    if (record.status === "failed") return Promise.reject(reviveError(record.error));
    if (record.kind === "do") return Promise.resolve(record.result as T);
    if (record.kind === "event") return Promise.resolve(record.event as T);
    return Promise.resolve(undefined as T);
  }

  private timer(claim: Claim, until: number | null, durationMs: number): Promise<void> {
    if (claim.record && claim.record.kind === "sleep" && claim.record.until <= this.request.now) return Promise.resolve();
    return this.enqueue(() => {
      const request: EngineRequest = { op: "sleep", seq: claim.seq, key: claim.key, name: claim.name, until, durationMs };
      return this.settle<void>(engineCall(request), request).then(() => undefined);
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private settle<T>(response: EngineResponse, asked: EngineRequest): Promise<T> {
    switch (response.action) {
      case "continue":
        this.noteCompleted(response.completedAt);
        return Promise.resolve(response.event as T);
      case "throw":
        this.noteCompleted(response.record.completedAt);
        return Promise.reject(reviveError(response.record.status === "failed" ? response.record.error : { name: "Error", message: "step failed" }));
      case "suspend":
        this.halt({ kind: "suspended" });
        return never();
      case "reject":
        return Promise.reject(reviveError(response.error));
      default:
        return Promise.reject(
          new Error(
            `the engine answered '${response.action}' to '${asked.op}'${"name" in asked ? ` of step "${asked.name}"` : ""}: a Kiln bug, please report it`,
          ),
        );
    }
  }

  private noteCompleted(completedAt: number): void {
    this.latestStepTime = Math.max(this.latestStepTime, completedAt);
  }

  private async runBody<T>(claim: Claim, plan: StepPlan, callback: StepCallback<T>): Promise<T> {
    const { retries, timeoutMs } = plan;
    let asked: EngineRequest = { op: "step", seq: claim.seq, key: claim.key, name: claim.name, timeoutMs, retries };
    let decision = engineCall(asked);
    for (;;) {
      if (decision.action !== "run") return this.settle<T>(decision, asked);
      const attempt = decision.attempt;
      const ctx: WorkflowStepContext = Object.freeze({ attempt, step: Object.freeze({ name: claim.name, count: claim.count }), config: plan.config });
      let failure: unknown;
      let encoded: string | undefined;
      this.activeBody = claim.name;
      try {
        encoded = this.encodeResult(claim.name, await callback(ctx));
      } catch (error) {
        failure = error;
      } finally {
        this.activeBody = undefined;
      }
      if (encoded !== undefined) {
        const commit: EngineRequest = {
          op: "commit",
          seq: claim.seq,
          key: claim.key,
          name: claim.name,
          result: encoded,
          attempt,
          ...(plan.sensitive ? { sensitive: true } : {}),
        };
        const committed = engineCall(commit);
        if (committed.action !== "continue") return this.settle<T>(committed, commit);
        this.noteCompleted(committed.completedAt);
        return JSON.parse(encoded) as T;
      }
      let nonRetryable = isNonRetryable(failure) || failure instanceof StepUsageError;
      let delayMs: number | undefined;
      if (plan.delayFunction && !nonRetryable && attempt <= retries.limit) {
        const chosen = chooseDelay(plan, ctx, failure);
        if (typeof chosen === "number") delayMs = chosen;
        else [failure, nonRetryable] = [chosen, true];
      }
      asked = {
        op: "fail",
        seq: claim.seq,
        key: claim.key,
        name: claim.name,
        error: serializeError(failure),
        attempt,
        nonRetryable,
        retries,
        ...(delayMs === undefined ? {} : { delayMs }),
      };
      decision = engineCall(asked);
    }
  }

  private encodeResult(name: string, value: unknown): string {
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      // The engine's out-of-memory exception is the bare string "out of memory", not an Error: it is
      // the sandbox's memory limit (the executor names it), not something wrong with the value.
      if (!(error instanceof Error)) throw error;
      throw new StepUsageError(`the result of step "${name}" is not JSON-serializable: ${error.message}`);
    }
    if (encoded === undefined) throw new StepUsageError(`the result of step "${name}" is not JSON-serializable`);
    const bytes = encoded.length * 3 > MAX_STEP_RESULT_BYTES ? new TextEncoder().encode(encoded).length : encoded.length;
    if (bytes > MAX_STEP_RESULT_BYTES) {
      throw new StepUsageError(
        `the result of step "${name}" is ${bytes} bytes of JSON; the limit is ${MAX_STEP_RESULT_BYTES} — store large data elsewhere and return a reference`,
      );
    }
    return encoded;
  }

  realNow(): number {
    const response = engineCall({ op: "now" });
    return response.action === "now" ? response.now : NaN;
  }

  realRandom(): number {
    const response = engineCall({ op: "random", bytes: 4 });
    if (response.action !== "random") return NaN;
    const [a = 0, b = 0, c = 0, d = 0] = response.bytes;
    return (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) / 4294967296;
  }
}
