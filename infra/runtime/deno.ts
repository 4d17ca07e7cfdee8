/**
 * Deno 2: runs TypeScript natively; V8 flags are fixed at startup (`--v8-flags=…`), because its
 * `node:v8` `setFlagsFromString` is accepted but does nothing.
 */
import type { Launcher, ProcessRuntime } from "./types.ts";

/** The part of the `Deno` global Kiln uses, so type-checking needs no Deno type package. */
interface DenoGlobal {
  readonly version: { readonly deno: string };
  execPath(): string;
}

/** The `Deno` global, or `undefined` on other runtimes. */
export function denoGlobal(): DenoGlobal | undefined {
  return (globalThis as { Deno?: DenoGlobal }).Deno;
}

/**
 * What an executor may do on Deno: reach NATS, read its settings, its own files and the core count.
 * It never writes files or starts processes, so a tenant escaping the sandbox could not either.
 * `deno.json`'s executor tasks use the same flags.
 */
export const DENO_EXECUTOR_PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-sys"] as const;

/** Runs `.ts` entry files with `deno run`; `binary` is a Deno 2 executable. */
export function denoLauncher(binary: string): Launcher {
  return {
    name: "deno",
    binary,
    scriptArgs(script, { args = [], v8Flags = [], denoPermissions = ["-A"] } = {}) {
      const flags = v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : [];
      return ["run", ...denoPermissions, ...flags, script, ...args];
    },
  };
}

/** Whether WebAssembly memories in this process are already capped at `pages`. */
function wasmMemoryCapped(pages: number): boolean {
  try {
    // Reserves address space only (never touched) when the cap is missing; freed with the object.
    new WebAssembly.Memory({ initial: pages + 1 });
    return false;
  } catch (error) {
    if (error instanceof RangeError) return true;
    throw error;
  }
}

export function denoProcessRuntime(deno: DenoGlobal): ProcessRuntime {
  return {
    name: "deno",
    description: `deno ${deno.version.deno}`,
    launcher: denoLauncher(deno.execPath()),
    capWasmMemory(pages) {
      if (wasmMemoryCapped(pages)) return;
      throw new Error(
        `Deno cannot cap WebAssembly memory once started: run it with --v8-flags=--wasm-max-mem-pages=${pages} ` +
          "(as `deno task executor` does), or the sandboxes' memory limit would not hold",
      );
    },
  };
}
