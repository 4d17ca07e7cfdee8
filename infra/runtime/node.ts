/** Node ≥ 20: TypeScript runs through the tsx loader; V8 flags can be set while running. */
import { setFlagsFromString } from "node:v8";
import type { Launcher, ProcessRuntime } from "./types.ts";

/** Runs `.ts` entry files with `node --import tsx`; `binary` may be any Node ≥ 20 (e.g. a Node 24 install). */
export function nodeLauncher(binary: string): Launcher {
  return {
    name: "node",
    binary,
    scriptArgs(script, { args = [], v8Flags = [] } = {}) {
      // The loader is named by its resolved URL, so the child's working directory does not matter.
      return [...v8Flags, "--import", import.meta.resolve("tsx"), script, ...args];
    },
  };
}

export function nodeProcessRuntime(): ProcessRuntime {
  return {
    name: "node",
    description: `node ${process.version}`,
    launcher: nodeLauncher(process.execPath),
    capWasmMemory(pages) {
      // Applies to every module compiled afterwards, in this thread and in workers started later.
      setFlagsFromString(`--wasm-max-mem-pages=${pages}`);
    },
  };
}
