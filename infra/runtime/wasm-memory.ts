/** The sandboxes' WebAssembly memory cap, a V8 option of the whole executor process. */

/** Wasm memory per sandbox instance: 256 MiB in 64 KiB pages. */
export const WASM_MAX_MEMORY_PAGES = 4096;
/** The same cap as a V8 option, for runtimes that only take it at startup (Deno: `--v8-flags=…`). */
export const WASM_MEMORY_CAP_FLAG = `--wasm-max-mem-pages=${WASM_MAX_MEMORY_PAGES}`;
