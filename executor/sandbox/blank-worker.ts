/**
 * Starting a sandbox worker thread. It starts blank: it runs only sandbox-worker.js and waits for
 * the one tenant version it will ever serve. Nothing of the executor's process leaks into it.
 */
import { Worker } from "node:worker_threads";

export interface BlankWorkerOptions {
  /**
   * Caps the worker's JS heap (host side of the sandbox; Wasm memory is capped apart, memory-cap.ts).
   * Not lower: V8 runs a full GC once a worker's external memory passes half this cap, and a fresh
   * component's Wasm memory did at 64 and 128 MiB — its instantiate took 9.5–15.7 ms instead of
   * 4.3–5.1 ms (3 runs each, Node 20; a worker with only the glue imported, then one instantiate).
   * @default 192
   */
  maxOldGenerationSizeMb?: number;
}

const WORKER_URL = new URL("./sandbox-worker.js", import.meta.url);

export function startBlankWorker(options: BlankWorkerOptions = {}): Worker {
  return new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb ?? 192 },
    // The executor's environment holds its secrets (admin token, NATS credentials).
    env: {},
    // Not the executor's flags: under `node --import tsx` every worker would otherwise start tsx's
    // loader (and its hooks thread), ~250 ms per worker; sandbox-worker.js is plain JavaScript.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
}
