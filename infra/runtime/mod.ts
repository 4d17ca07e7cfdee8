/**
 * Runtime adapters: what differs between Node and Deno sits here, everything else uses web standards
 * (fetch, WebAssembly, Web Crypto, streams) and the `node:` modules both runtimes provide.
 *
 *   currentRuntime().capWasmMemory(WASM_MAX_MEMORY_PAGES);
 *   const deno = launcherFor("deno");   // or "node:/opt/node24/bin/node"
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { denoGlobal, denoLauncher, denoProcessRuntime } from "./deno.ts";
import { nodeLauncher, nodeProcessRuntime } from "./node.ts";
import type { Launcher, ProcessRuntime } from "./types.ts";

export type { Launcher, ProcessRuntime, RuntimeName } from "./types.ts";
export { WASM_MAX_MEMORY_PAGES, WASM_MEMORY_CAP_FLAG } from "./wasm-memory.ts";
export { spawnService, type ServiceName, type ServiceProcess, type SpawnServiceOptions } from "./spawn-service.ts";


const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The Deno binary of the `deno` npm package (a devDependency), when installed. */
const PROJECT_DENO = `${REPO_ROOT}node_modules/.bin/deno`;

let current: ProcessRuntime | undefined;

/** The runtime this process runs on. */
export function currentRuntime(): ProcessRuntime {
  const deno = denoGlobal();
  return (current ??= deno ? denoProcessRuntime(deno) : nodeProcessRuntime());
}

/**
 * A launcher from a spec: `node` (this process's Node), `node:<binary>`, `deno` (the project's
 * `node_modules/.bin/deno`, else `deno` on PATH) or `deno:<binary>`.
 */
export function launcherFor(spec: string): Launcher {
  const [name, binary] = spec.split(/:(.*)/s, 2);
  if (name === "node") return nodeLauncher(binary || (denoGlobal() ? "node" : process.execPath));
  if (name === "deno") return denoLauncher(binary || (existsSync(PROJECT_DENO) ? PROJECT_DENO : "deno"));
  throw new Error(`unknown runtime '${spec}': use node, node:<path to node>, deno or deno:<path to deno>`);
}
