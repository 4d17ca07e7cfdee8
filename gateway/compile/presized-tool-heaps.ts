/**
 * componentize-js's splicer is a Rust program compiled to wasm. Working on the 12 MB engine, it grows
 * its heap from ~2 MiB to ~470 MiB in hundreds of small `memory.grow` steps, and V8 answers every
 * grow with a full garbage collection (the grown buffer counts as new external memory): ~7 s of a
 * fresh process's first splice, against ~1.5 s once the heap is big. So its heap is grown once, up
 * front, in a single step: one allocation of the whole size, shrunk right away, leaves its allocator a
 * free block to work in. Untouched pages cost address space, not memory. jco's wasm-tools and bindgen
 * (imported by componentize-js, so presized with it) measured no faster or slower for it.
 * Runs inside the componentize child process.
 */

/** @default 512 MiB: the splicer peaks at ~470 MiB on the 12 MB engine. */
export const DEFAULT_TOOL_HEAP_BYTES = 512 * 2 ** 20;

/** The exports a wit-bindgen guest has: its linear memory and the canonical ABI allocator. */
interface GuestAllocator {
  memory: WebAssembly.Memory;
  cabi_realloc: (ptr: number, oldSize: number, align: number, newSize: number) => number;
}

function isGuestAllocator(exports: WebAssembly.Exports): exports is WebAssembly.Exports & GuestAllocator {
  return exports.memory instanceof WebAssembly.Memory && typeof exports.cabi_realloc === "function";
}

function presize(guest: GuestAllocator, heapBytes: number): void {
  if (guest.memory.buffer.byteLength >= heapBytes) return;
  const block = guest.cabi_realloc(0, 0, 1, heapBytes);
  guest.cabi_realloc(block, heapBytes, 1, 1);
}

/**
 * Imports `load()` (the tools' modules, which instantiate their wasm while they are evaluated) with
 * every wasm instance created meanwhile presized to `heapBytes`. Instances created later — the
 * tenant's own component, checked by componentize-js — are left alone.
 */
export async function importWithPresizedHeaps<T>(load: () => Promise<T>, heapBytes = DEFAULT_TOOL_HEAP_BYTES): Promise<T> {
  const instantiate = WebAssembly.instantiate;
  const presizing = async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const result = await (instantiate as (...a: typeof args) => Promise<WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource>)(...args);
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    if (isGuestAllocator(instance.exports)) presize(instance.exports, heapBytes);
    return result;
  };
  WebAssembly.instantiate = presizing as typeof WebAssembly.instantiate;
  try {
    return await load();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}
