/**
 * Blank sandbox workers started ahead of need, so that a fresh sandbox costs an instantiate rather
 * than a thread start (a worker's bootstrap takes 30–150 ms, an instantiate 5–20 ms). A spare holds
 * no tenant code; `take` hands it to one sandbox for good.
 */
import type { Worker } from "node:worker_threads";
import { SandboxPoolClosedError } from "./errors.ts";

export class SpareWorkers {
  /** Spares, oldest (most likely booted) first, each with the listener that forgets it if it dies. */
  private readonly spares = new Map<Worker, () => void>();
  private closed = false;

  constructor(
    private readonly count: number,
    private readonly start: () => Worker,
  ) {
    this.refill();
  }

  /** Spare workers started and not yet taken. */
  get size(): number {
    return this.spares.size;
  }

  /** A blank worker: a spare if one is left, else one started now. Call `refill` to replace it. */
  take(): Worker {
    if (this.closed) throw new SandboxPoolClosedError();
    const [spare] = this.spares.keys();
    if (!spare) return this.start();
    const forget = this.spares.get(spare)!;
    this.spares.delete(spare);
    spare.off("error", forget);
    spare.off("exit", forget);
    return spare;
  }

  /** Starts spares up to the count (none once closed). */
  refill(): void {
    while (!this.closed && this.spares.size < this.count) {
      const worker = this.start();
      // A spare that dies blank is dropped, not restarted at once (that could loop); the next
      // `refill` replaces it.
      const forget = () => void this.spares.delete(worker);
      worker.on("error", forget);
      worker.on("exit", forget);
      this.spares.set(worker, forget);
    }
  }

  /** Stops every spare; `take` refuses from now on. */
  async close(): Promise<void> {
    this.closed = true;
    const spares = [...this.spares.keys()];
    this.spares.clear();
    await Promise.all(spares.map((worker) => worker.terminate()));
  }
}
