/**
 * One sandbox: a worker thread holding one instance of one tenant version's component. It serves
 * activations one at a time (a warm instance is reused, as an isolate serves many requests) and is
 * discarded after a trap, a timeout or a limit. Its thread serves no other version, ever.
 */
import type { Worker } from "node:worker_threads";
import {
  createChannelBuffers,
  setStepPermit,
  stopGuest,
  writeResponse,
  type ChannelBuffers,
  type HostMessage,
  type HttpAnswer,
  type StepPermitTerms,
  type WorkerMessage,
} from "./channel.ts";
import { SandboxCrashedError, SandboxKilledError } from "./errors.ts";
import { ThreadClock } from "./thread-clock.ts";
import { demoteThread, restoreThread } from "./thread-priority.ts";

export interface SandboxCode {
  glue: string;
  modules: Record<string, WebAssembly.Module>;
}

export interface ActivationHandlers {
  /** Serves one `engine.call`; the guest stays blocked until the answer is written. */
  call(request: string): Promise<string>;
  /**
   * Told, not asked: the guest started a step's first attempt under its step permit and goes on.
   * Needed only by an activation that grants permits (`setStepPermit`).
   */
  stepStarted?(request: string): void;
  /**
   * Serves one `http.fetch` (`request` as the guest sent it, unvalidated); the guest stays blocked until
   * the answer is written. Never rejects: every failure is an answer. @default refuses every request
   */
  fetch?(request: unknown): Promise<{ answer: HttpAnswer; body?: Uint8Array }>;
  log(level: string, message: string): void;
}

const NO_HTTP: { answer: HttpAnswer; body?: Uint8Array } = {
  answer: { ok: false, error: { tag: "refused", val: "fetch refused: this sandbox serves no http capability" } },
};

/** An activation that never grants a step permit: every step start is asked for. */
const NO_STEP_PERMITS: StepPermitTerms = { keysWithAttempts: [], stepTimeoutMaxMs: 0 };

export class Sandbox {
  private readonly buffers: ChannelBuffers = createChannelBuffers();
  private readonly ready: Promise<void>;
  private current: { handlers: ActivationHandlers; resolve(result: string): void; reject(error: Error): void } | undefined;
  private deadReason: Error | undefined;
  private settleReady!: { resolve(): void; reject(error: Error): void };
  private readonly clock: ThreadClock;
  /** The worker's OS thread id, where there is procfs (see sandbox-worker.js). */
  private tid: number | undefined;
  /** Asked to be demoted: applied as soon as the tid is known (a fresh sandbox sends it as it starts loading). */
  private demoteWanted = false;
  /** The thread's nice value before `demote`, while it is demoted. */
  private demotedFrom: number | undefined;
  /** The component is instantiated: what the thread burns from now on is the tenant's code. */
  private instantiated = false;
  /** Settles once the component is instantiated, or the sandbox died before that; never rejects. */
  readonly loaded: Promise<void>;
  /** Activations started in this sandbox: 0 means the next one pays for instantiation. */
  activations = 0;
  /** Once loaded: whether its glue was imported ahead, while its worker was a spare. */
  gluePreloaded: boolean | undefined;

  /** `worker` must be blank (see blank-worker.ts): it becomes this sandbox's for good. */
  constructor(
    private readonly worker: Worker,
    code: SandboxCode,
  ) {
    this.clock = new ThreadClock(worker);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // A load failure surfaces through `activate`; never as an unhandled rejection.
    this.loaded = this.ready.catch(() => undefined);
    this.worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    this.worker.on("error", (error) => this.die(new SandboxCrashedError(`sandbox worker failed: ${error.message}`)));
    this.worker.on("exit", () => this.die(new SandboxCrashedError("sandbox worker exited")));
    const load: HostMessage = { type: "load", glue: code.glue, modules: code.modules, buffers: this.buffers };
    this.worker.postMessage(load);
  }

  get alive(): boolean {
    return this.deadReason === undefined;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs one activation; rejects with `SandboxKilledError` / `SandboxCrashedError` if the sandbox dies. */
  async activate(request: string, handlers: ActivationHandlers, stepPermits: StepPermitTerms = NO_STEP_PERMITS): Promise<string> {
    await this.ready;
    if (this.deadReason) throw this.deadReason;
    if (this.current) throw new Error("sandbox is busy: activations run one at a time");
    return new Promise<string>((resolve, reject) => {
      this.current = { handlers, resolve, reject };
      this.activations++;
      this.clock.activationStarted();
      const message: HostMessage = { type: "activate", request, stepPermits };
      this.worker.postMessage(message);
    });
  }

  /** Grants the guest a step permit until `until` (epoch ms), or withdraws it with 0 (see step-permit.js). */
  setStepPermit(until: number): void {
    if (this.alive) setStepPermit(this.buffers, until);
  }

  /** CPU this sandbox's thread has used so far, in milliseconds (see thread-clock.ts). */
  cpuMs(): Promise<number> {
    return this.clock.cpuMs();
  }

  /** Its component is instantiated (a fresh sandbox's first activation waits for that). */
  get isLoaded(): boolean {
    return this.instantiated;
  }

  /** Where `cpuMs` comes from on this runtime (see thread-clock.ts). */
  get cpuSource(): ThreadClock["source"] {
    return this.clock.source;
  }

  /**
   * Lowers its thread to the lowest CPU priority, now or as soon as the worker sends its thread id.
   * Nothing happens where there is no tid (no procfs) or the runtime cannot.
   */
  demote(): void {
    this.demoteWanted = true;
    if (this.tid !== undefined && this.demotedFrom === undefined) this.demotedFrom = demoteThread(this.tid);
  }

  /** Gives a demoted thread its priority back; false if the process may not (it stays demoted). */
  restorePriority(): boolean {
    this.demoteWanted = false;
    if (this.demotedFrom === undefined) return true;
    if (this.tid === undefined || !restoreThread(this.tid, this.demotedFrom)) return false;
    this.demotedFrom = undefined;
    return true;
  }

  /** Stops the worker now, whatever it runs (an endless loop included). */
  async kill(reason: string): Promise<void> {
    this.die(new SandboxKilledError(reason));
    stopGuest(this.buffers);
    await this.worker.terminate();
  }

  private onMessage(message: WorkerMessage): void {
    const current = this.current;
    switch (message.type) {
      case "call":
        if (!current) return;
        this.clock.blocked();
        current.handlers.call(message.request).then(
          (response) => {
            if (this.current !== current || !this.alive) return;
            this.clock.answered();
            writeResponse(this.buffers, response);
          },
          (error: unknown) => void this.kill(`engine call failed: ${(error as Error).message}`),
        );
        return;
      case "step-started":
        if (!current) return;
        if (current.handlers.stepStarted) current.handlers.stepStarted(message.request);
        else void this.kill("the guest started a step under a permit this activation never granted");
        return;
      case "http":
        if (!current) return;
        this.clock.blocked();
        (current.handlers.fetch?.(message.request) ?? Promise.resolve(NO_HTTP)).then(
          ({ answer, body }) => {
            if (this.current !== current || !this.alive) return;
            this.clock.answered();
            writeResponse(this.buffers, JSON.stringify(answer), body);
          },
          (error: unknown) => void this.kill(`fetch failed on the host: ${(error as Error).message}`),
        );
        return;
      case "log":
        current?.handlers.log(message.level, message.message);
        return;
      case "result":
        this.current = undefined;
        this.clock.activationEnded();
        current?.resolve(message.result);
        return;
      case "fatal":
        this.settleReady.reject(new SandboxCrashedError(`the component failed to load: ${message.error.message}`));
        this.die(new SandboxCrashedError(`the component trapped: ${message.error.message}`));
        void this.worker.terminate();
        return;
      case "thread":
        this.tid = message.tid;
        this.clock.setThread(message.tid);
        // A spinning tenant's fresh sandboxes load at its priority: ~7 loads a second in the bench.
        if (this.demoteWanted) this.demote();
        return;
      case "ready":
        this.instantiated = true;
        this.gluePreloaded = message.gluePreloaded;
        this.settleReady.resolve();
        return;
    }
  }

  private die(reason: Error): void {
    if (this.deadReason) return;
    this.deadReason = reason;
    this.settleReady.reject(reason);
    const current = this.current;
    this.current = undefined;
    current?.reject(reason);
  }
}
