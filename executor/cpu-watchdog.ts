/**
 * One per executor: every `intervalMs` it reads the CPU of each running activation's sandbox thread,
 * charges it (decisions/cpu-budget.ts) and reports an activation over a budget, which the runner then
 * stops; it demotes the thread of an activation past `demoteAfterCpuMs`, and of its tenant's next
 * ones for a while (decisions/cpu-priority.ts). It runs beside the step path, never on it: the engine
 * only bumps a counter when a step starts, so a step costs the same with or without the watchdog.
 *
 * The timer runs only while something is watched, so an idle executor has no timer keeping it alive.
 */
import { decidePriority, DEMOTE_AFTER_CPU_MS, TENANT_DEMOTED_MS } from "./decisions/cpu-priority.ts";
import { chargeCpu, decideCpuBudget, openCpuAccount, type CpuAccount, type CpuLimits, type CpuVerdict, type RunningAttempt } from "./decisions/cpu-budget.ts";

/** @default 100: a runaway loop burns at most ~a tick past its budget before it is stopped. */
export const WATCHDOG_INTERVAL_MS = 100;

export interface WatchedActivation {
  readonly tenant: string;
  /** The sandbox thread's CPU so far (ms). */
  cpuMs(): Promise<number>;
  /** The sandbox's component is instantiated: CPU before that is not the activation's own. */
  loaded(): boolean;
  /** The attempt whose body runs now, if any. */
  step(): RunningAttempt | undefined;
  /** Step attempts started so far in this activation. */
  stepsStarted(): number;
  readonly limits: CpuLimits;
  /**
   * Called when a budget is exceeded: once for the run budget (the activation is not watched
   * afterwards), once per attempt over the step budget.
   */
  over(verdict: Exclude<CpuVerdict, { do: "ok" }>): void;
  /** Lowers the sandbox thread's CPU priority for the rest of the activation, where it can. */
  demote(): void;
}

interface Entry {
  activation: WatchedActivation;
  account: CpuAccount | undefined;
  /**
   * The thread's CPU at the first read once its component was loaded: what the activation used is
   * counted from here for its priority. Starting a fresh sandbox's thread and instantiating take
   * more than the threshold on a loaded machine and are the platform's work, not the tenant's.
   */
  firstCpuMs: number | undefined;
  /** Demoted, or found impossible to demote: either way, not tried again. */
  demoted: boolean;
  /** A read of the CPU is in flight: a slow read must not overlap the next tick's. */
  reading: boolean;
}

export class CpuWatchdog {
  private readonly entries = new Set<Entry>();
  /** When each tenant last had an activation over `demoteAfterCpuMs` (forgotten once that no longer counts). */
  private readonly tenantHungryAt = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * `intervalMs` 0 watches nothing (no budget is enforced, no thread demoted): the bench's baseline
   * for its cost. `demoteAfterCpuMs` 0 never demotes.
   */
  constructor(
    private readonly intervalMs = WATCHDOG_INTERVAL_MS,
    private readonly demoteAfterCpuMs = DEMOTE_AFTER_CPU_MS,
  ) {}

  /** Watches an activation until the returned function is called (or it goes over a budget). */
  watch(activation: WatchedActivation): () => void {
    if (this.intervalMs === 0) return () => undefined;
    const entry: Entry = { activation, account: undefined, firstCpuMs: undefined, demoted: false, reading: false };
    this.entries.add(entry);
    void this.check(entry);
    this.timer ??= setInterval(() => {
      for (const watched of this.entries) void this.check(watched);
    }, this.intervalMs);
    return () => this.forget(entry);
  }

  /** Activations watched now. */
  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.entries.clear();
    this.tenantHungryAt.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private prioritize(entry: Entry, usedMs: number): void {
    const { tenant } = entry.activation;
    const now = performance.now();
    const tenantHungryAt = this.tenantHungryAt.get(tenant);
    if (tenantHungryAt !== undefined && now - tenantHungryAt >= TENANT_DEMOTED_MS) this.tenantHungryAt.delete(tenant);
    const verdict = decidePriority({ usedMs, demoted: entry.demoted, tenantHungryAt }, now, this.demoteAfterCpuMs);
    if (verdict.hungry) this.tenantHungryAt.set(tenant, now);
    if (!verdict.demote) return;
    entry.demoted = true;
    entry.activation.demote();
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry);
    if (this.entries.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(entry: Entry): Promise<void> {
    if (entry.reading) return;
    entry.reading = true;
    const { activation } = entry;
    let cpuMs: number;
    try {
      cpuMs = await activation.cpuMs();
    } catch {
      return; // the thread is gone (it ended or was killed): nothing left to charge
    } finally {
      entry.reading = false;
    }
    if (!this.entries.has(entry)) return;
    const sample = { cpuMs, step: activation.step(), stepsStarted: activation.stepsStarted() };
    entry.account = entry.account === undefined ? openCpuAccount(sample) : chargeCpu(entry.account, sample);
    if (entry.firstCpuMs === undefined && activation.loaded()) entry.firstCpuMs = cpuMs;
    this.prioritize(entry, entry.firstCpuMs === undefined ? 0 : cpuMs - entry.firstCpuMs);
    const verdict = decideCpuBudget(entry.account, activation.limits);
    if (verdict.do === "ok") return;
    // Over the run budget the activation ends; over a step's, only that attempt (and if it ended on
    // its own meanwhile, the activation goes on and stays watched).
    if (verdict.phase === "run") this.forget(entry);
    activation.over(verdict);
  }
}
