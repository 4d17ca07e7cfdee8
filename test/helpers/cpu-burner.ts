/**
 * A loaded machine on demand: threads of this process that spin until stopped, so leases, ack waits
 * and heartbeats are tested starved of CPU, as on a busy 2-core CI runner.
 *
 *   const burner = startCpuBurner();
 *   try { … } finally { await burner.stop(); }
 */
import { Worker } from "node:worker_threads";

export interface CpuBurner extends AsyncDisposable {
  /** Spinning threads. */
  readonly threads: number;
  /** Stops every thread; safe to call twice. */
  stop(): Promise<void>;
}

/** A busy loop with nothing to await: only `terminate()` ends it. */
const SPIN = "for (;;) {}";

/** Starts `threads` spinning worker threads (each keeps about one core busy). @default 1 */
export function startCpuBurner(threads = 1): CpuBurner {
  const workers = Array.from({ length: threads }, () => new Worker(SPIN, { eval: true }));
  // A test that forgets to stop the burner must not keep its process alive.
  for (const worker of workers) worker.unref();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= Promise.all(workers.map((worker) => worker.terminate())).then(() => undefined));
  return { threads, stop, [Symbol.asyncDispose]: stop };
}
