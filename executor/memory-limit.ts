/**
 * `limits.memoryBytes`: the WebAssembly memory one sandbox may grow to. The cap itself is written into
 * the component's core module (sandbox/memory-cap.ts), so `memory.grow` fails past it inside the
 * guest; this file says what cap applies and recognises the guest running into it.
 *
 * What the guest does at the cap, measured with test/fixtures/hostile.ts capped at 64 MiB:
 * SpiderMonkey (componentize-js's engine) does not trap; its allocation fails and it throws its
 * out-of-memory exception, the bare string "out of memory", which the SDK turns into
 * `Error: out of memory` — in a step body it arrives as the attempt's `fail`, outside one as the
 * activation's `errored` result (202 ms and 348 ms from start, RSS back within 35 MiB of where it
 * started once the worker was gone). The guest survives it, but its memory stays grown (Wasm memory
 * never shrinks), so the host discards that sandbox all the same and reports a named error.
 */
import { ErrorCode, type SerializedError } from "../contract/mod.ts";
import { WASM_MAX_MEMORY_PAGES } from "../infra/runtime/mod.ts";
import { pagesFor, WASM_PAGE_BYTES } from "./sandbox/memory-cap.ts";

/** SpiderMonkey's out-of-memory exception, as the SDK serializes it (`ensureError` of the string). */
const OUT_OF_MEMORY = "out of memory";

/**
 * Pages one sandbox of a tenant with `memoryBytes` may use: the tenant's limit, never above the
 * executor's own cap (`--wasm-max-mem-pages`, the process-wide V8 option every sandbox shares).
 */
export function sandboxMemoryPages(memoryBytes: number): number {
  return Math.min(pagesFor(memoryBytes), WASM_MAX_MEMORY_PAGES);
}

/**
 * Whether what the guest reported is its engine running out of memory. Code that throws that very
 * message itself is treated the same: it only costs that tenant its own sandbox.
 */
export function isOutOfMemory(error: Pick<SerializedError, "message">): boolean {
  return error.message === OUT_OF_MEMORY;
}

/** The named error for a guest that ran out of memory; `step` when it happened in a step body. */
export function memoryLimitError(pages: number, step?: { name: string; attempt: number }): SerializedError {
  const mib = (pages * WASM_PAGE_BYTES) / (1024 * 1024);
  const where = step === undefined ? "the workflow ran out of memory outside step bodies" : `step "${step.name}" attempt ${step.attempt} ran out of memory`;
  return {
    name: "MemoryLimitError",
    code: ErrorCode.limitExceeded,
    message:
      `${where}: its sandbox may use ${mib} MiB (limits.memoryBytes, at most ${(WASM_MAX_MEMORY_PAGES * WASM_PAGE_BYTES) / (1024 * 1024)} MiB on this executor): ` +
      "keep less in memory at once (process data in smaller pieces, in several steps), or ask the platform admin to raise limits.memoryBytes",
  };
}
