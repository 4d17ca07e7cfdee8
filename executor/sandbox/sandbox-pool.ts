/**
 * Warm sandboxes, per tenant version. An activation borrows one (instantiating a fresh one, in a
 * spare blank worker, when none is idle) and returns it afterwards; a dead sandbox is never returned.
 * Sandboxes are never shared across versions, so never across tenants.
 */
import { startBlankWorker, type BlankWorkerOptions } from "./blank-worker.ts";
import { Sandbox, type SandboxCode } from "./sandbox.ts";
import { SpareWorkers } from "./spare-workers.ts";

export interface SandboxPoolOptions extends BlankWorkerOptions {
  /** Idle sandboxes kept warm across all versions. @default 16 */
  maxIdle?: number;
  /** Blank worker threads kept started for fresh sandboxes (each costs ~8 MiB of RSS). @default 2 */
  spareWorkers?: number;
}

export class SandboxPool {
  private readonly idle = new Map<string, Sandbox[]>();
  /** Idle sandboxes in the order they became idle, with their version. */
  private readonly idleOrder: Sandbox[] = [];
  private readonly versionOf = new Map<Sandbox, string>();
  private readonly maxIdle: number;
  private readonly spares: SpareWorkers;

  constructor(options: SandboxPoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 16;
    this.spares = new SpareWorkers(options.spareWorkers ?? 2, () => startBlankWorker(options));
  }

  acquire(versionKey: string, code: () => SandboxCode): Sandbox {
    const list = this.idle.get(versionKey);
    while (list && list.length > 0) {
      const sandbox = list.pop()!;
      this.idleOrder.splice(this.idleOrder.indexOf(sandbox), 1);
      this.versionOf.delete(sandbox);
      if (sandbox.alive) return sandbox;
    }
    const fresh = code();
    const sandbox = new Sandbox(this.spares.take(), fresh);
    // Replace the spare once this one has instantiated: a thread start, or a glue import, competes
    // with that for CPU (starting it at once tripled a fresh sandbox's time on 2 busy cores).
    void sandbox.loaded.then(() => {
      this.spares.preload(fresh.glue);
      this.spares.refill();
    });
    return sandbox;
  }

  release(versionKey: string, sandbox: Sandbox): void {
    if (!sandbox.alive || sandbox.busy) return;
    // A demoted thread must not run the next activation, likely another instance's, at low priority.
    if (!sandbox.restorePriority()) return void sandbox.kill("its thread was demoted and its priority cannot be restored");
    const list = this.idle.get(versionKey) ?? [];
    list.push(sandbox);
    this.idle.set(versionKey, list);
    this.idleOrder.push(sandbox);
    this.versionOf.set(sandbox, versionKey);
    while (this.idleOrder.length > this.maxIdle) this.evictOne();
  }

  /**
   * Drops the oldest idle sandbox of a version that has more than one, so every recently used
   * version keeps a warm instance: a busy tenant's many sandboxes cannot push out a quiet tenant's
   * only one. When every version is down to one, the oldest goes.
   */
  private evictOne(): void {
    const evicted = this.idleOrder.find((sandbox) => this.idle.get(this.versionOf.get(sandbox)!)!.length > 1) ?? this.idleOrder[0]!;
    const versionKey = this.versionOf.get(evicted)!;
    const sandboxes = this.idle.get(versionKey)!;
    sandboxes.splice(sandboxes.indexOf(evicted), 1);
    if (sandboxes.length === 0) this.idle.delete(versionKey);
    this.idleOrder.splice(this.idleOrder.indexOf(evicted), 1);
    this.versionOf.delete(evicted);
    void evicted.kill("evicted from the warm pool");
  }

  get idleCount(): number {
    return this.idleOrder.length;
  }

  /** Blank workers started and waiting for a fresh sandbox. */
  get spareCount(): number {
    return this.spares.size;
  }

  /** Stops idle sandboxes and spare workers; `acquire` refuses from now on. */
  async close(): Promise<void> {
    const all = this.idleOrder.splice(0);
    this.idle.clear();
    this.versionOf.clear();
    await Promise.all([this.spares.close(), ...all.map((sandbox) => sandbox.kill("executor shutting down"))]);
  }
}
