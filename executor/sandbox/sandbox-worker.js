// The body of a sandbox worker thread: one tenant component instance, activated one request at a time.
// Plain JavaScript on purpose: worker threads start without the TypeScript loader, on Node and Deno.
// Message shapes and the channel layout are defined in channel.ts.
/** @import { MessagePort } from "node:worker_threads" */
/** @import { HostMessage, WorkerMessage } from "./channel.ts" */
import { readlinkSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { answerText, createGuestCall } from "./guest-call.js";
import { engineCallImport, logImport } from "./lowered-imports.js";
import { RUN_FIRST_ATTEMPT, startsUnderPermit } from "./step-permit.js";

/**
 * The shape of jco's async-instantiation glue (gateway/compile/transpile.ts).
 * @typedef {{ instantiate(getCoreModule: (name: string) => WebAssembly.Module | undefined, imports: object): Promise<{ activate: (request: string) => string }> }} Glue
 */

// Never null: this file only ever runs as a worker thread (blank-worker.ts).
const port = /** @type {MessagePort} */ (parentPort);
/** @param {WorkerMessage} message */
const post = (message) => port.postMessage(message);

// A plain empty object, before any glue loads. The Worker is started with an empty `env` already,
// but Node's `process.env` stays a C++-backed store, and the jco glue reads
// `process.env.JCO_DEBUG` on every task operation (~23 reads per engine call).
if (globalThis.process) globalThis.process.env = {};

const RUN_FIRST_ATTEMPT_BYTES = new TextEncoder().encode(RUN_FIRST_ATTEMPT);

/** Set by `load`; the host sends `activate` only after `ready`. @type {(request: string) => string} */
let activate;
/** The current activation's step-permit terms (see step-permit.js). */
let permitTerms = { keysWithAttempts: /** @type {ReadonlySet<string>} */ (new Set()), stepTimeoutMaxMs: 0 };

/**
 * The glue imported ahead of the load, while this worker was a spare (see spare-workers.ts): a load
 * with the same glue skips the ~5–6 ms its import takes on a fresh thread.
 * @type {{ glue: string, module: Promise<Glue> } | undefined}
 */
let preloaded;

/** @param {string} glue @returns {Promise<Glue>} */
const importGlue = (glue) => import(`data:text/javascript,${encodeURIComponent(glue)}`);

/** @param {unknown} error what was thrown: usually an Error, but a component can throw anything */
function fail(error) {
  const { name, message, stack } = /** @type {{ name?: string, message?: string, stack?: string }} */ (Object(error));
  post({ type: "fatal", error: { name: name ?? "Error", message: String(message ?? error), stack } });
}

/**
 * `kiln:workflow/http` `fetch`: the host answers JSON (`HttpAnswer`) with the response body as raw bytes
 * after it. A failure is RETURNED as the `err` case of the WIT `result` (jco's glue takes a returned
 * `{ tag: "ok" | "err", val }` as the result): throwing an `Error` instance would trap the component.
 * @param {(message: import("./channel.ts").BlockingMessage) => import("./channel.ts").GuestAnswer} call
 */
function httpImport(call) {
  return {
    /** @param {unknown} request the record as jco lifted it; the host validates it */
    fetch(request) {
      const reply = call({ type: "http", request });
      const answer = /** @type {import("./channel.ts").HttpAnswer} */ (JSON.parse(answerText(reply)));
      if (!answer.ok) return { tag: "err", val: answer.error };
      return { tag: "ok", val: { ...answer.response, body: reply.body ?? new Uint8Array(0) } };
    },
  };
}

/**
 * This thread's id (`/proc/thread-self` links to `<pid>/task/<tid>`), so the host can read its CPU on
 * runtimes without `worker.cpuUsage()`; undefined where there is no procfs.
 * @returns {number | undefined}
 */
function threadId() {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** @param {Extract<HostMessage, { type: "load" }>} message */
async function load({ glue, modules, buffers }) {
  post({ type: "thread", tid: threadId() });
  /** @type {(message: import("./channel.ts").BlockingMessage) => import("./channel.ts").GuestAnswer} */
  const call = createGuestCall(buffers, post);
  const permit = new BigInt64Array(buffers.permit);
  /** @param {string} request */
  const engineAnswer = (request) => {
    if (startsUnderPermit(request, Number(Atomics.load(permit, 0)), Date.now(), permitTerms)) {
      post({ type: "step-started", request });
      return RUN_FIRST_ATTEMPT_BYTES;
    }
    return call({ type: "call", request }).json;
  };
  /** @type {(level: string, message: string) => void} */
  const log = (level, message) => post({ type: "log", level, message });
  const ahead = preloaded?.glue === glue ? preloaded.module : undefined;
  const gluePreloaded = ahead !== undefined;
  const glueModule = await (ahead ?? importGlue(glue));
  preloaded = undefined;
  const instance = await glueModule.instantiate((name) => modules[name], {
    "kiln:workflow/engine": { call: engineCallImport(engineAnswer) },
    "kiln:workflow/logging": { log: logImport(log) },
    "kiln:workflow/http": httpImport(call),
  });
  activate = instance.activate;
  post({ type: "ready", gluePreloaded });
}

port.on("message", (/** @type {HostMessage} */ message) => {
  if (message.type === "preload") {
    const module = importGlue(message.glue);
    // A glue that fails to import here fails again, and is reported, when a load uses it.
    module.catch(() => undefined);
    preloaded = { glue: message.glue, module };
  } else if (message.type === "load") {
    load(message).catch(fail);
  } else if (message.type === "activate") {
    permitTerms = { keysWithAttempts: new Set(message.stepPermits.keysWithAttempts), stepTimeoutMaxMs: message.stepPermits.stepTimeoutMaxMs };
    try {
      post({ type: "result", result: activate(message.request) });
    } catch (error) {
      // A trap inside the component (unreachable, out of memory, stack overflow): this instance is
      // no longer trustworthy; the host discards the worker.
      fail(error);
    }
  }
});
