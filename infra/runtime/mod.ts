/**
 * Runtime adapters: what differs between Node and Deno sits here, everything else uses web standards
 * (fetch, WebAssembly, Web Crypto, streams) and the `node:` modules both runtimes provide.
 *
 *   currentRuntime().capWasmMemory(WASM_MAX_MEMORY_PAGES);
 *   const deno = launcherFor("deno");   // or "node:/opt/node24/bin/node"
 */
import { denoGlobal, denoLauncher, denoProcessRuntime } from "./deno.ts";
import { nodeLauncher, nodeProcessRuntime } from "./node.ts";
import type { Launcher, ProcessRuntime } from "./types.ts";

export type { Launcher, ProcessRuntime, RuntimeName, ScriptOptions } from "./types.ts";
export { DENO_EXECUTOR_PERMISSIONS } from "./deno.ts";
export { WASM_MAX_MEMORY_PAGES, WASM_MEMORY_CAP_FLAG } from "./wasm-memory.ts";
export { spawnService, type ServiceName, type ServiceProcess, type SpawnServiceOptions } from "./spawn-service.ts";

let current: ProcessRuntime | undefined;

/** The runtime this process runs on. */
export function currentRuntime(): ProcessRuntime {
  const deno = denoGlobal();
  return (current ??= deno ? denoProcessRuntime(deno) : nodeProcessRuntime());
}

/**
 * A launcher from a spec: `node` (this process's Node), `node:<binary>`, `deno` (`deno` on PATH) or
 * `deno:<binary>`.
 */
export function launcherFor(spec: string): Launcher {
  const [name, binary] = spec.split(/:(.*)/s, 2);
  if (name === "node") return nodeLauncher(binary || (denoGlobal() ? "node" : process.execPath));
  if (name === "deno") return denoLauncher(binary || "deno");
  throw new Error(`unknown runtime '${spec}': use node, node:<path to node>, deno or deno:<path to deno>`);
}
