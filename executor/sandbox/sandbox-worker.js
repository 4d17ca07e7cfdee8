// The body of a sandbox worker thread: one tenant component instance, activated one request at a time.
// Plain JavaScript on purpose: worker threads start without the TypeScript loader, on Node and Deno.
// Message shapes and the channel layout are defined in channel.ts.
import { parentPort } from "node:worker_threads";
import { createGuestCall } from "./guest-call.js";

// A plain empty object, before any glue loads. The Worker is started with an empty `env` already,
// but Node's `process.env` stays a C++-backed store, and the jco glue reads
// `process.env.JCO_DEBUG` on every task operation (~23 reads per engine call).
if (globalThis.process) globalThis.process.env = {};

let activate;

function fail(error) {
  parentPort.postMessage({ type: "fatal", error: { name: error?.name ?? "Error", message: String(error?.message ?? error), stack: error?.stack } });
}

async function load({ glue, modules, buffers }) {
  const call = createGuestCall(buffers, (request) => parentPort.postMessage({ type: "call", request }));
  const log = (level, message) => parentPort.postMessage({ type: "log", level, message });
  const glueModule = await import(`data:text/javascript,${encodeURIComponent(glue)}`);
  const instance = await glueModule.instantiate((name) => modules[name], {
    "kiln:workflow/engine": { call },
    "kiln:workflow/logging": { log },
  });
  activate = instance.activate;
  parentPort.postMessage({ type: "ready" });
}

parentPort.on("message", (message) => {
  if (message.type === "load") {
    load(message).catch(fail);
  } else if (message.type === "activate") {
    try {
      parentPort.postMessage({ type: "result", result: activate(message.request) });
    } catch (error) {
      // A trap inside the component (unreachable, out of memory, stack overflow): this instance is
      // no longer trustworthy; the host discards the worker.
      fail(error);
    }
  }
});
