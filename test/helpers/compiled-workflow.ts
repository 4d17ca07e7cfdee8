/**
 * A workflow source compiled into what a sandbox loads (jco glue and compiled core modules), through
 * the compile cache every test of the run shares: componentized once per run (and once per machine
 * while its source is unchanged).
 */
import { readFile } from "node:fs/promises";
import { createCompiler } from "../../gateway/compile/mod.ts";
import type { SandboxCode } from "../../executor/sandbox/sandbox.ts";
import { TEST_COMPILE_CACHE_DIR } from "./kiln.ts";

/** Compiles the module at `path` (absolute) and compiles its core modules. */
export async function compiledWorkflow(path: string): Promise<SandboxCode> {
  const source = await readFile(path, "utf8");
  const { artifact } = await createCompiler({ cacheDir: TEST_COMPILE_CACHE_DIR }).compileSource({ files: { "workflow.ts": source }, entry: "workflow.ts" });
  const modules: Record<string, WebAssembly.Module> = {};
  for (const [file, bytes] of Object.entries(artifact.coreModules)) modules[file] = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  return { glue: artifact.glue, modules };
}
