/**
 * Bounds how many compiles run at once (each takes up to 1 GB for ~20 s), so a burst of deploys waits
 * instead of exhausting memory, and merges concurrent compiles of the same version into one.
 */
import { availableParallelism } from "node:os";

export interface CompileQueueOptions {
  /** Compiles running at the same time. @default os.availableParallelism() */
  concurrency?: number;
}

export interface CompileQueue {
  /**
   * Runs `task` when a slot is free. While a task for `key` is queued or running, another call with
   * the same key gets the same promise and its own `task` is never run.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
}

export function createCompileQueue(options: CompileQueueOptions = {}): CompileQueue {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`compile concurrency must be a whole number ≥ 1, got '${concurrency}'`);
  const inFlight = new Map<string, Promise<unknown>>();
  const queue: Array<() => void> = [];
  let active = 0;

  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next();
    }
  };
  const acquire = (): Promise<void> => {
    if (active < concurrency) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => queue.push(resolve));
  };

  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const existing = inFlight.get(key);
      if (existing) return existing as Promise<T>;
      const promise = (async () => {
        await acquire();
        try {
          return await task();
        } finally {
          release();
        }
      })();
      inFlight.set(key, promise);
      // Forget the key once settled (either way), so a failed compile can be retried.
      const forget = () => {
        if (inFlight.get(key) === promise) inFlight.delete(key);
      };
      promise.then(forget, forget);
      return promise;
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
