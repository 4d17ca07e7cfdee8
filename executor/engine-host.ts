/**
 * The host side of one activation: answers the guest's `engine.call` requests. Every answer that lets
 * the workflow go on is given only after the fact it depends on is durable in the journal, but one:
 * a commit is answered as its journal write leaves, and the write finishes behind the guest (see
 * `commit`). Nothing else is answered, and the activation does not end, before it is durable.
 */
import {
  DEFAULT_STEP_TIMEOUT_MS,
  ErrorCode,
  parseEngineRequest,
  parseStepResult,
  ProtocolError,
  retryDelayMs,
  type EngineRequest,
  type AttemptRecord,
  type EngineResponse,
  type InstanceRef,
  type ResolvedRetries,
  type SerializedError,
  type StepRecord,
} from "../contract/mod.ts";
import { setImmediate } from "node:timers";
import { delay } from "../infra/delay.ts";
import { AlreadyExistsError } from "../infra/errors.ts";
import type { InboxEvent } from "../infra/inbox.ts";
import type { InstanceJournal, JournalStore } from "../infra/journal-store.ts";
import { isOutOfMemory, memoryLimitError } from "./memory-limit.ts";
import { redactError } from "./redact-secrets.ts";
import type { RunningAttempt } from "./decisions/cpu-budget.ts";
import type { StepPermitTerms } from "./sandbox/channel.ts";
import type { Suspension } from "./suspension.ts";

export interface EngineHostDeps {
  journal: JournalStore;
  readInbox(): Promise<InboxEvent[]>;
  now(): number;
  /** Retry delays and sleeps up to this long are waited out in the sandbox instead of suspending. */
  holdMs: number;
  log(level: "debug" | "info" | "warn" | "error", message: string): void;
  /** Pending pause / terminate, or a lost lease, noticed since the activation began. */
  interruption(): Suspension | undefined;
  /**
   * Resolves to `undefined` when this activation still holds the instance firmly enough to start a
   * step body, else to the reason it does not (see LeaseKeeper).
   */
  assureLease(): Promise<string | undefined>;
  /**
   * Stops the sandbox: a step attempt over a limit (timeout, CPU budget, memory), a guest breaking the
   * protocol, or a commit's journal write that failed after it was answered.
   */
  killSandbox(reason: string, kind: "step-limit" | "protocol" | "journal"): void;
  /** Told of every step attempt that ends, with its wall time, for the metrics. */
  stepFinished?(outcome: "ok" | "failed", durationMs: number): void;
  /** The tenant's `limits.stepTimeoutMaxMs`: a step asking for a longer `timeout` fails. */
  stepTimeoutMaxMs: number;
  /**
   * Until when (epoch ms) the lease leaves room to start a step body, 0 when it does not or is lost:
   * the step permit's horizon (see sandbox/step-permit.js).
   */
  stepPermitUntil(): number;
  /** Hands the sandbox a step permit: until when it may start a first attempt without asking (0: ask). */
  publishStepPermit(until: number): void;
  /** The sandbox's memory cap in Wasm pages, for the error of a step body that runs out of it. */
  memoryPages: number;
  /** Takes the tenant's secret values out of an error message before it is recorded. */
  redact: (text: string) => string;
}

/** Resolves in the event loop's next check phase: after everything this turn does, the answer's write included. */
const afterThisTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ActivationIdentity {
  ref: InstanceRef;
  generation: number;
}

interface RunningStep {
  seq: number;
  key: string;
  name: string;
  attempt: number;
  startedAt: number;
  retries: ResolvedRetries;
  timeoutMs: number;
  timer: ReturnType<typeof setTimeout>;
}

export class EngineHost {
  suspension: Suspension | undefined;
  /** What failed on the platform's side while serving a call (NATS, say); the guest was stopped. */
  platformFailure: unknown;
  /**
   * Why the guest was stopped for breaking the activation protocol (a forged or malformed call): the
   * instance errors with it. Set once; the sandbox is killed at the same moment.
   */
  protocolError: ProtocolError | undefined;
  /** Steps completed during this activation, for status and metrics. */
  committed = 0;
  /** Step attempts started during this activation: the CPU watchdog's only hook on the step path. */
  stepsStarted = 0;
  private running: RunningStep | undefined;
  private inbox: InboxEvent[] | undefined;
  private readonly consumedEvents = new Set<number>();
  /** Keys of the steps in the journal: a step the guest asks to run must not be one of them. */
  private readonly recordedKeys = new Set<string>();
  /** Each step's per-attempt timeout, by step key. */
  private readonly timeouts = new Map<string, number>();
  private timeoutHandled: Promise<void> = Promise.resolve();
  /** The journal write of the last commit, answered before it was durable (see `commit`). */
  private writeBehind: Promise<void> = Promise.resolve();
  /** Why that write failed, once it has: every later call, and the activation's end, fail with it. */
  private writeBehindFailure: Error | undefined;
  /** The activation is over (its sandbox may have been killed mid-call): start nothing more. */
  private disposed = false;

  constructor(
    private readonly deps: EngineHostDeps,
    private readonly id: ActivationIdentity,
    private readonly journal: InstanceJournal,
  ) {
    for (const step of journal.steps) {
      this.recordedKeys.add(step.key);
      if (step.kind === "event" && step.status === "ok") this.consumedEvents.add(step.inboxSeq);
    }
  }

  /**
   * Answers one `engine.call`. Never rejects for what the guest sent: a request outside the protocol
   * stops the sandbox and sets `protocolError`; it rejects only when the platform failed.
   */
  async handle(requestJson: string): Promise<string> {
    let response: EngineResponse;
    try {
      const request = parseEngineRequest(requestJson);
      await this.journalWritten();
      response = await this.dispatch(request);
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(error);
      if (!(error instanceof AlreadyExistsError)) {
        this.platformFailure ??= error;
        throw error;
      }
      this.suspension = { kind: "superseded", reason: error.message };
      response = { action: "suspend" };
    }
    this.refreshStepPermit();
    return JSON.stringify(response);
  }

  /**
   * Renews the sandbox's step permit, or withdraws it: granted while no step body runs, nothing asks
   * the activation to stop, and the lease leaves room to start a body (exactly what `startStep` checks
   * when asked). Called before every answer, so the guest finds it fresh when it goes on.
   */
  refreshStepPermit(): void {
    const grant = !this.disposed && this.running === undefined && this.suspension === undefined && this.deps.interruption() === undefined;
    this.deps.publishStepPermit(grant ? this.deps.stepPermitUntil() : 0);
  }

  /** What the sandbox needs to judge a step permit: steps with earlier attempts always ask (retry delays). */
  stepPermitTerms(): StepPermitTerms {
    return { keysWithAttempts: [...this.journal.attempts.keys()], stepTimeoutMaxMs: this.deps.stepTimeoutMaxMs };
  }

  /**
   * The sandbox started a step's first attempt under its permit and says so (without waiting): the
   * same bookkeeping as an asked `step`, after the same checks of what the guest sent. A start the
   * permit could not cover is a protocol error, as a forged `step` would be.
   */
  stepStarted(requestJson: string): void {
    if (this.disposed) return;
    try {
      const request = parseEngineRequest(requestJson);
      if (request.op !== "step") throw new ProtocolError("engine.call request", `a '${request.op}' request was sent as a permitted step start`);
      this.refuseRecordedStep(request);
      const refusal = this.permitRefusal(request);
      if (refusal !== undefined) throw new ProtocolError("engine.call request", refusal);
      this.timeouts.set(request.key, request.timeoutMs);
      this.beginAttempt(request, 1);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.refuse(error);
    }
  }

  /** A step the guest asks to run, or started under its permit, must not be one the journal holds. */
  private refuseRecordedStep(step: Extract<EngineRequest, { op: "step" }>): void {
    if (this.recordedKeys.has(step.key)) {
      throw new ProtocolError("engine.call request", `step "${step.name}" (key ${step.key}) is already in the journal; replay it from the activation request`);
    }
  }

  /** What a start under the step permit may not be, beyond a recorded step. */
  private permitRefusal(request: Extract<EngineRequest, { op: "step" }>): string | undefined {
    const what = `step "${request.name}" (key ${request.key}) was started under a step permit`;
    if (this.journal.attempts.has(request.key)) return `${what}, but it has earlier attempts: its next one must be asked for`;
    if (request.timeoutMs > this.deps.stepTimeoutMaxMs) return `${what} with a timeout over the tenant's limit`;
    if (this.running) return `${what} while step "${this.running.name}" runs`;
    return undefined;
  }

  /** Stops a guest that broke the protocol: nothing it sent is recorded, and the instance errors. */
  private refuse(error: ProtocolError): string {
    this.protocolError ??= error;
    this.deps.log("error", error.message);
    this.deps.killSandbox(error.message, "protocol");
    // The guest never reads this (its sandbox is gone); it says the same to anything that does.
    return JSON.stringify({ action: "reject", error: error.toJSON() } satisfies EngineResponse);
  }

  /**
   * Resolves once a step timeout (or CPU limit), if one fired, has been recorded and `suspension` says
   * what next, and a commit's journal write has finished or failed.
   */
  async settled(): Promise<void> {
    await Promise.all([this.timeoutHandled, this.writeBehind]);
  }

  /**
   * Resolves once the last commit's journal write is durable; rejects with what it failed with (then
   * `platformFailure` or a superseded `suspension` says so, and the sandbox is being stopped). Before
   * anything else is answered, and before the activation's result counts.
   */
  async journalWritten(): Promise<void> {
    await this.writeBehind;
    if (this.writeBehindFailure !== undefined) throw this.writeBehindFailure;
  }

  /** Milliseconds left of the running step attempt's timeout, or `undefined` when no step body runs. */
  stepRemainingMs(): number | undefined {
    const step = this.running;
    return step === undefined ? undefined : Math.max(0, step.startedAt + step.timeoutMs - this.deps.now());
  }

  /** The attempt whose body runs now, if any. */
  runningAttempt(): RunningAttempt | undefined {
    const step = this.running;
    return step === undefined ? undefined : { key: step.key, name: step.name, attempt: step.attempt };
  }

  /**
   * Fails the running attempt from the host (over its CPU budget, say) as a timeout does: the sandbox
   * is killed, the failure recorded, and the step's retry policy applies in a fresh activation.
   * Ignored when that attempt is no longer the one running.
   */
  abortAttempt(attempt: RunningAttempt, error: SerializedError): void {
    const step = this.running;
    if (step?.key !== attempt.key || step.attempt !== attempt.attempt) return;
    clearTimeout(step.timer);
    this.timeoutHandled = this.attemptFailedOnHost(error);
  }

  /** Clears the step timer when the activation ends. */
  dispose(): void {
    this.disposed = true;
    this.deps.publishStepPermit(0);
    if (this.running) clearTimeout(this.running.timer);
    this.running = undefined;
  }

  private async dispatch(request: EngineRequest): Promise<EngineResponse> {
    switch (request.op) {
      case "now":
        return { action: "now", now: this.deps.now() };
      case "random":
        return { action: "random", bytes: Array.from(crypto.getRandomValues(new Uint8Array(request.bytes))) };
      case "step":
        this.refuseRecordedStep(request);
        if (request.timeoutMs > this.deps.stepTimeoutMaxMs) return this.refuseTimeout(request);
        this.timeouts.set(request.key, request.timeoutMs);
        return this.resumeStep(request);
      case "commit":
      case "fail": {
        const attempt = this.running;
        if (attempt?.key !== request.key || attempt.attempt !== request.attempt || attempt.seq !== request.seq || attempt.name !== request.name) {
          const running = attempt ? `step "${attempt.name}" attempt ${attempt.attempt} (seq ${attempt.seq})` : "no step";
          throw new ProtocolError(
            "engine.call request",
            `${request.op} of step "${request.name}" attempt ${request.attempt} (seq ${request.seq}), which the engine did not start; ${running} is running`,
          );
        }
        if (request.op === "commit") return this.commit(request, attempt.startedAt);
        if (isOutOfMemory(request.error)) return this.outOfMemory(attempt);
        return this.fail(request, attempt.startedAt);
      }
      case "sleep":
        return this.sleep(request);
      case "wait":
        return this.wait(request);
    }
  }

  private interrupted(): EngineResponse | undefined {
    const interruption = this.deps.interruption();
    if (!interruption) return undefined;
    this.suspension = interruption;
    return { action: "suspend" };
  }

  /**
   * A step reached in this activation: its next attempt, once the retry delay after its last failed
   * attempt has passed (an activation woken early, by an event say, must not retry before then).
   */
  private async resumeStep(step: { seq: number; key: string; name: string; retries: ResolvedRetries }): Promise<EngineResponse> {
    const last = this.journal.attempts.get(step.key)?.at(-1);
    if (last) {
      const remainingMs = last.failedAt + (last.retryDelayMs ?? retryDelayMs(step.retries, last.attempt)) - this.deps.now();
      if (remainingMs > this.deps.holdMs) {
        this.suspension = { kind: "retry", step: step.name, until: this.deps.now() + remainingMs };
        return { action: "suspend" };
      }
      if (remainingMs > 0) await delay(remainingMs);
    }
    return this.startStep(step, (last?.attempt ?? 0) + 1);
  }

  private async startStep(step: { seq: number; key: string; name: string; retries: ResolvedRetries }, attempt: number): Promise<EngineResponse> {
    // A call still answering after its sandbox was killed (terminate, a CPU limit, shutdown) must not
    // start an attempt, or its timer, for a guest that is gone.
    if (this.disposed) return { action: "suspend" };
    const stop = this.interrupted();
    if (stop) return stop;
    const leaseProblem = await this.deps.assureLease();
    if (leaseProblem !== undefined) {
      this.suspension = { kind: "superseded", reason: leaseProblem };
      return { action: "suspend" };
    }
    if (this.disposed) return { action: "suspend" };
    return this.beginAttempt(step, attempt);
  }

  private beginAttempt(step: { seq: number; key: string; name: string; retries: ResolvedRetries }, attempt: number): EngineResponse {
    const { seq, key, name, retries } = step;
    const startedAt = this.deps.now();
    const timeoutMs = this.timeouts.get(key) ?? DEFAULT_STEP_TIMEOUT_MS;
    const timer = setTimeout(() => {
      this.timeoutHandled = this.attemptFailedOnHost({
        name: "StepTimeoutError",
        message: `step "${name}" attempt ${attempt} exceeded its timeout of ${timeoutMs} ms`,
      });
    }, timeoutMs);
    this.running = { seq, key, name, attempt, startedAt, retries, timeoutMs, timer };
    this.stepsStarted++;
    // A first attempt is logged when it completes or fails; a retry says when it starts.
    if (attempt > 1) this.deps.log("debug", `step "${name}" attempt ${attempt} started`);
    return { action: "run", attempt };
  }

  /**
   * A step whose `timeout` is over the tenant's limit fails for good before its body runs, and the
   * failure is recorded like any other: replay gives the same answer even after the limit changes.
   */
  private async refuseTimeout(request: Extract<EngineRequest, { op: "step" }>): Promise<EngineResponse> {
    const { stepTimeoutMaxMs } = this.deps;
    const now = this.deps.now();
    const record: StepRecord = {
      kind: "do",
      status: "failed",
      seq: request.seq,
      name: request.name,
      key: request.key,
      error: {
        name: "StepTimeoutLimitError",
        code: ErrorCode.limitExceeded,
        message:
          `step "${request.name}" asks for a timeout of ${request.timeoutMs} ms, over this tenant's limit of ${stepTimeoutMaxMs} ms ` +
          "(limits.stepTimeoutMaxMs): lower the step's `timeout`, or ask the platform admin to raise the limit",
      },
      attempts: 0,
      startedAt: now,
      completedAt: now,
    };
    this.deps.log("warn", record.error.message);
    await this.commitRecord(record);
    return { action: "throw", record };
  }

  /**
   * A step body ran out of the sandbox's memory: the attempt fails with `MemoryLimitError` and the
   * sandbox is discarded (its memory never shrinks again), as after a timeout; the step's retry
   * policy applies in a fresh activation. The guest never reads the answer: its sandbox is gone.
   */
  private async outOfMemory(attempt: RunningStep): Promise<EngineResponse> {
    this.abortAttempt(attempt, memoryLimitError(this.deps.memoryPages, attempt));
    await this.timeoutHandled;
    return { action: "suspend" };
  }

  /** The running attempt failed on the host's side (timeout, CPU budget, memory): its sandbox goes too. */
  private async attemptFailedOnHost(error: SerializedError): Promise<void> {
    const step = this.running;
    if (!step) return;
    this.running = undefined;
    this.deps.killSandbox(error.message, "step-limit");
    try {
      // After the step before it, whose journal write may still be on its way (see `commit`).
      await this.writeBehind;
      const outcome = await this.recordFailure(step, step.attempt, step.startedAt, error, false);
      // The sandbox is gone either way: resume in a fresh activation, after the retry delay if any.
      const until = outcome.kind === "retry" ? this.deps.now() + outcome.delayMs : this.deps.now();
      this.suspension = { kind: "retry", step: step.name, until };
    } catch (failure) {
      this.suspension = { kind: "superseded", reason: `could not record the timeout: ${(failure as Error).message}` };
    }
  }

  /**
   * Answered as the step's journal write leaves, not once it is durable: the guest goes on to the code
   * after the step, and the next step's body may start (under its permit) while the write is on its
   * way — one NATS round trip per step off the guest's path. It stays safe because nothing else
   * waits on it: every later call and the activation's end wait for the write (`journalWritten`), and
   * if it fails the sandbox is stopped and nothing after it is recorded, so the step and everything
   * after it run again, as after a crash before the write: the next step's body, if it had started,
   * runs a second time then. A committed step's body never runs again.
   */
  private commit(request: Extract<EngineRequest, { op: "commit" }>, startedAt: number): EngineResponse {
    this.stopTimer(request.key);
    const record: StepRecord = {
      kind: "do",
      status: "ok",
      seq: request.seq,
      name: request.name,
      key: request.key,
      result: parseStepResult(request.result, request.name),
      attempts: request.attempt,
      startedAt,
      completedAt: this.deps.now(),
      ...(request.sensitive ? { sensitive: true as const } : {}),
    };
    // Started once the answer is out (the turn of the event loop after this one): building and
    // sending the KV request is ~30–50 µs of this thread that the guest then does not wait for.
    // The key counts as recorded now, so a start of the same step meanwhile is refused.
    this.recordedKeys.add(record.key);
    const written = afterThisTurn().then(async () => {
      const durable = this.commitRecord(record);
      // Queued in the same turn as the write, so both leave in one socket write (nats-write-batching.ts)
      // instead of the line costing a write of its own once the write is answered. A write that fails
      // after it is told of by the `journal` kill that follows.
      this.deps.log("debug", `step "${request.name}" completed in ${record.completedAt - startedAt} ms (attempt ${request.attempt})`);
      await durable;
      this.deps.stepFinished?.("ok", record.completedAt - startedAt);
    });
    this.writeBehind = written.catch((error: unknown) => this.writeBehindFailed(error));
    return { action: "continue", completedAt: record.completedAt };
  }

  /** A commit's journal write failed after the guest went on: stop it; the activation ends with why. */
  private writeBehindFailed(error: unknown): void {
    this.writeBehindFailure = error instanceof Error ? error : new Error(String(error));
    if (error instanceof AlreadyExistsError) this.suspension = { kind: "superseded", reason: error.message };
    else this.platformFailure ??= error;
    this.deps.killSandbox(`a step's journal write failed: ${this.writeBehindFailure.message}`, "journal");
  }

  private async fail(request: Extract<EngineRequest, { op: "fail" }>, startedAt: number): Promise<EngineResponse> {
    this.stopTimer(request.key);
    const outcome = await this.recordFailure(request, request.attempt, startedAt, request.error, request.nonRetryable, request.delayMs);
    if (outcome.kind === "final") return { action: "throw", record: outcome.record };
    if (outcome.delayMs <= this.deps.holdMs) {
      await delay(outcome.delayMs);
      return this.startStep(request, request.attempt + 1);
    }
    this.suspension = { kind: "retry", step: request.name, until: this.deps.now() + outcome.delayMs };
    return { action: "suspend" };
  }

  /** Writes a step record once, and keeps the in-memory journal whole (for the journal snapshot). */
  private async commitRecord(record: StepRecord): Promise<void> {
    // At once, not once written: a step the guest asks to start again meanwhile is refused as recorded.
    this.recordedKeys.add(record.key);
    await this.deps.journal.commitStep(this.id.ref, this.id.generation, record);
    this.journal.steps.push(record);
    this.committed++;
  }

  private stopTimer(key: string): void {
    if (this.running?.key !== key) return;
    clearTimeout(this.running.timer);
    this.running = undefined;
  }

  /** Records a failed attempt; the step fails for good when retries are spent or the error is final. */
  private async recordFailure(
    step: { seq: number; key: string; name: string; retries: ResolvedRetries },
    attempt: number,
    startedAt: number,
    reported: SerializedError,
    nonRetryable: boolean,
    chosenDelayMs?: number,
  ): Promise<{ kind: "retry"; delayMs: number } | { kind: "final"; record: StepRecord }> {
    const { seq, key, name, retries } = step;
    const failedAt = this.deps.now();
    const error = redactError(reported, this.deps.redact);
    const retrying = !nonRetryable && attempt <= retries.limit;
    const failed: AttemptRecord = { attempt, error, startedAt, failedAt };
    if (retrying && chosenDelayMs !== undefined) failed.retryDelayMs = chosenDelayMs;
    await this.deps.journal.recordAttempt(this.id.ref, this.id.generation, key, failed);
    const list = this.journal.attempts.get(key) ?? [];
    list.push(failed);
    this.journal.attempts.set(key, list);
    this.deps.stepFinished?.("failed", failedAt - startedAt);
    this.deps.log("warn", `step "${name}" attempt ${attempt} failed: ${error.name}: ${error.message}`);
    if (retrying) return { kind: "retry", delayMs: failed.retryDelayMs ?? retryDelayMs(retries, attempt) };
    const record: StepRecord = {
      kind: "do",
      status: "failed",
      seq,
      name,
      key,
      error,
      attempts: attempt,
      startedAt,
      completedAt: failedAt,
    };
    await this.commitRecord(record);
    return { kind: "final", record };
  }

  private async sleep(request: Extract<EngineRequest, { op: "sleep" }>): Promise<EngineResponse> {
    const stop = this.interrupted();
    if (stop) return stop;
    const recorded = this.journal.steps.find((step) => step.key === request.key);
    let record: StepRecord;
    if (recorded) {
      record = recorded;
    } else {
      const now = this.deps.now();
      const until = request.until ?? now + request.durationMs;
      record = { kind: "sleep", status: "ok", seq: request.seq, name: request.name, key: request.key, until, startedAt: now, completedAt: until };
      await this.commitRecord(record);
    }
    const until = record.kind === "sleep" ? record.until : 0;
    const remainingMs = until - this.deps.now();
    if (remainingMs <= 0) return { action: "continue", completedAt: record.completedAt };
    if (remainingMs <= this.deps.holdMs) {
      await delay(remainingMs);
      return { action: "continue", completedAt: record.completedAt };
    }
    this.suspension = { kind: "sleep", step: request.name, until };
    return { action: "suspend" };
  }

  private async wait(request: Extract<EngineRequest, { op: "wait" }>): Promise<EngineResponse> {
    const stop = this.interrupted();
    if (stop) return stop;
    this.inbox ??= await this.deps.readInbox();
    const event = this.inbox.find((candidate) => candidate.type === request.type && !this.consumedEvents.has(candidate.seq));
    const now = this.deps.now();
    if (event) {
      this.consumedEvents.add(event.seq);
      // A wait that suspended before its event came began when its deadline was fixed, not now: the
      // status view (and the console's timeline) shows how long it waited.
      const fixedDeadline = this.journal.deadlines.get(request.key);
      const record: StepRecord = {
        kind: "event",
        status: "ok",
        seq: request.seq,
        name: request.name,
        key: request.key,
        event: { type: event.type, payload: event.payload, timestamp: event.timestamp },
        inboxSeq: event.seq,
        startedAt: fixedDeadline === undefined ? now : Math.min(now, fixedDeadline - request.timeoutMs),
        completedAt: now,
      };
      await this.commitRecord(record);
      return { action: "continue", completedAt: record.completedAt, event: record.event };
    }
    let deadline = this.journal.deadlines.get(request.key);
    if (deadline === undefined) {
      deadline = now + request.timeoutMs;
      await this.deps.journal.recordDeadline(this.id.ref, this.id.generation, request.key, deadline);
      this.journal.deadlines.set(request.key, deadline);
    }
    if (now >= deadline) {
      const record: StepRecord = {
        kind: "event",
        status: "failed",
        seq: request.seq,
        name: request.name,
        key: request.key,
        error: { name: "WaitForEventTimeoutError", message: `no '${request.type}' event arrived for step "${request.name}" before its timeout` },
        startedAt: deadline - request.timeoutMs,
        completedAt: now,
      };
      await this.commitRecord(record);
      return { action: "throw", record };
    }
    this.suspension = { kind: "event", step: request.name, until: deadline, eventType: request.type };
    return { action: "suspend" };
  }
}
