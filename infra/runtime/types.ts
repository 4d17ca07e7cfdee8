/** The few things that differ between the runtimes Kiln runs on (Node ≥ 20 and Deno 2). */

export type RuntimeName = "node" | "deno";

/** How a script is started. */
export interface ScriptOptions {
  /** Arguments for the script. @default [] */
  readonly args?: readonly string[];
  /** V8 options applied from the start, such as `--wasm-max-mem-pages=4096`. @default [] */
  readonly v8Flags?: readonly string[];
  /**
   * Deno permission flags (e.g. `--allow-net`); Node enforces none, so it ignores them.
   * @default ["-A"]
   */
  readonly denoPermissions?: readonly string[];
}

/** How one runtime binary runs a TypeScript entry file as a child process. */
export interface Launcher {
  readonly name: RuntimeName;
  /** The runtime binary to spawn. */
  readonly binary: string;
  /** Arguments for `binary` that run `script` (a `.ts` file). */
  scriptArgs(script: string, options?: ScriptOptions): string[];
}

/** The runtime of the current process. */
export interface ProcessRuntime {
  readonly name: RuntimeName;
  /** e.g. `node v20.19.2` or `deno 2.9.6`, for startup lines and metrics. */
  readonly description: string;
  /** Runs further TypeScript child processes (the compile worker) on this same runtime. */
  readonly launcher: Launcher;
  /**
   * Makes sure every WebAssembly memory in this process is capped at `pages` 64 KiB pages; throws with
   * what to do when the runtime cannot apply the cap itself.
   */
  capWasmMemory(pages: number): void;
}
