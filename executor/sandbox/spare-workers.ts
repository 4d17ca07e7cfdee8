/**
 * Blank sandbox workers started ahead of need, so that a fresh sandbox costs an instantiate rather
 * than a thread start (a worker's bootstrap takes 30–150 ms, an instantiate 5–20 ms). A spare holds
 * no tenant code; `take` hands it to one sandbox for good.
 *
 * Spares also import the glue of the last fresh sandbox ahead of need: jco writes the same glue for
 * every component of the same shape (every TypeScript workflow: 16 of the 23 artifacts in the test
 * compile cache), and its import took 5.2–6.7 ms of a fresh sandbox's 22–25 ms (`npx tsx
 * bench/sandbox.ts`, marks in the worker). The glue is generated from the component's types, not
 * tenant code; a sandbox uses a preloaded one only when it is the same text as its own.
 */
import type { Worker } from "node:worker_threads";
import type { HostMessage } from "./channel.ts";
import { SandboxPoolClosedError } from "./errors.ts";

export class SpareWorkers {
  /** Spares, oldest (most likely booted) first, each with the listener that forgets it if it dies. */
  private readonly spares = new Map<Worker, () => void>();
  private closed = false;
  /** The glue every spare has been told to import (see above). */
  private glue: string | undefined;

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

  /** Has every spare, and every one started from now on, import `glue` (a no-op if it is the last one). */
  preload(glue: string): void {
    if (glue === this.glue) return;
    this.glue = glue;
    for (const spare of this.spares.keys()) spare.postMessage({ type: "preload", glue } satisfies HostMessage);
  }

  /** Starts spares up to the count (none once closed). */
  refill(): void {
    while (!this.closed && this.spares.size < this.count) {
      const worker = this.start();
      if (this.glue !== undefined) worker.postMessage({ type: "preload", glue: this.glue } satisfies HostMessage);
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
