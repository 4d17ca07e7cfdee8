/**
 * Starting a sandbox worker thread. It starts blank: it runs only sandbox-worker.js and waits for
 * the one tenant version it will ever serve. Nothing of the executor's process leaks into it.
 */
import { Worker } from "node:worker_threads";

export interface BlankWorkerOptions {
  /** Caps the worker's JS heap (host side of the sandbox). @default 64 */
  maxOldGenerationSizeMb?: number;
}

const WORKER_URL = new URL("./sandbox-worker.js", import.meta.url);

export function startBlankWorker(options: BlankWorkerOptions = {}): Worker {
  return new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb ?? 64 },
    // The executor's environment holds its secrets (admin token, NATS credentials).
    env: {},
    // Not the executor's flags: under `node --import tsx` every worker would otherwise start tsx's
    // loader (and its hooks thread), ~250 ms per worker; sandbox-worker.js is plain JavaScript.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
}
