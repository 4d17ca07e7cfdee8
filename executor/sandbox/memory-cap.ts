/**
 * Caps the linear memories a core WebAssembly module defines, by rewriting the maximum in its memory
 * section (id 5) before it is compiled: `memory.grow` past the cap then fails inside the guest, as
 * the spec says it must, and the engine answers that with an out-of-memory error.
 *
 * Why a rewrite rather than a runtime option: V8 caps Wasm memory only process-wide
 * (`--wasm-max-mem-pages`, which the executor sets to its own cap), and a worker's `resourceLimits`
 * do not count Wasm memory at all (measured on Node 20: a memory bomb in a worker limited to 64 MiB
 * of heap grew to the 256 MiB process cap, peak RSS 97 → 390 MiB; rewritten to 64 MiB, peak RSS
 * 110 → 206 MiB). A componentize-js artifact's core modules define exactly one
 * memory (workflow.core.wasm: `min 145` pages, no maximum) and import none, so capping the defined
 * memories caps everything the guest can allocate. A memory a module imports is defined by another
 * module of the same component, and is capped there.
 *
 * Layout (WebAssembly core spec, "Memory Section"): `vec(limits)`, each `limits` a flags byte
 * (bit 0: has a maximum, bit 1: shared, bit 2: 64-bit) then `min` and, if bit 0, `max`, as unsigned
 * LEB128 page counts (a page is 64 KiB). Everything outside that section is copied unchanged.
 */

export const WASM_PAGE_BYTES = 64 * 1024;

const MAGIC_AND_VERSION = 8;
const MEMORY_SECTION_ID = 5;
const HAS_MAX = 0x01;
/** The flag bits this code knows; a module with others is refused rather than guessed at. */
const KNOWN_LIMIT_FLAGS = 0x07;

/**
 * A module whose memory starts above the cap, so it could never run within it. A module this code
 * cannot read is a `WebAssembly.CompileError`, as compiling it would have said.
 */
export class MemoryCapError extends Error {
  override name = "MemoryCapError";
}

/** Wasm pages that fit in `bytes` (rounded down: the cap is never exceeded). */
export function pagesFor(bytes: number): number {
  return Math.floor(bytes / WASM_PAGE_BYTES);
}

/**
 * `module` with every memory it defines capped at `maxPages`: a memory with no maximum gets this one,
 * a memory with a larger maximum is lowered to it, a smaller maximum stays. Returns `module` itself
 * when it defines no memory. Throws `MemoryCapError` when a memory's minimum is above the cap (the
 * module could never be instantiated within it), `WebAssembly.CompileError` when it cannot be read.
 */
export function capModuleMemory(module: Uint8Array, maxPages: number): Uint8Array {
  if (!Number.isInteger(maxPages) || maxPages < 0) throw new RangeError(`a memory cap is a whole number of pages, got ${maxPages}`);
  let offset = MAGIC_AND_VERSION;
  while (offset < module.byteLength) {
    const sectionStart = offset;
    const id = module[offset++]!;
    const size = readUnsignedLeb(module, offset);
    const contentStart = size.next;
    const contentEnd = contentStart + size.value;
    if (contentEnd > module.byteLength)
      throw new WebAssembly.CompileError(`section ${id} at byte ${sectionStart} runs past the end of the module: it is not valid WebAssembly`);
    if (id === MEMORY_SECTION_ID) {
      const content = capMemorySection(module.subarray(contentStart, contentEnd), maxPages);
      return concat([
        module.subarray(0, sectionStart),
        Uint8Array.of(MEMORY_SECTION_ID),
        unsignedLeb(content.byteLength),
        content,
        module.subarray(contentEnd),
      ]);
    }
    offset = contentEnd;
  }
  return module;
}

/** The memory section's content with each `limits` capped. */
function capMemorySection(section: Uint8Array, maxPages: number): Uint8Array {
  const count = readUnsignedLeb(section, 0);
  const parts: Uint8Array[] = [unsignedLeb(count.value)];
  let offset = count.next;
  for (let index = 0; index < count.value; index++) {
    const flags = section[offset++];
    if (flags === undefined || (flags & ~KNOWN_LIMIT_FLAGS) !== 0)
      throw new WebAssembly.CompileError(`memory ${index} has limits flags ${flags} this executor does not know`);
    const min = readUnsignedLeb(section, offset);
    offset = min.next;
    let max = maxPages;
    if (flags & HAS_MAX) {
      const declared = readUnsignedLeb(section, offset);
      offset = declared.next;
      max = Math.min(declared.value, maxPages);
    }
    if (min.value > max) {
      throw new MemoryCapError(
        `the component's memory ${index} starts at ${min.value * WASM_PAGE_BYTES} bytes, more than the ${max * WASM_PAGE_BYTES} bytes it may use (limits.memoryBytes)`,
      );
    }
    parts.push(Uint8Array.of(flags | HAS_MAX), unsignedLeb(min.value), unsignedLeb(max));
  }
  if (offset !== section.byteLength)
    throw new WebAssembly.CompileError(`the memory section has ${section.byteLength - offset} bytes after its last memory: it is not valid WebAssembly`);
  return concat(parts);
}

/**
 * Reads an unsigned LEB128 number at `offset`. Page counts and section sizes fit in 2^53 (a 64-bit
 * memory's page count is at most 2^48), so plain numbers hold them exactly.
 */
export function readUnsignedLeb(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < bytes.byteLength && at < offset + 10; at++) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, next: at + 1 };
    scale *= 128;
  }
  throw new WebAssembly.CompileError(`unterminated LEB128 number at byte ${offset}: the module is not valid WebAssembly`);
}

/** `value` as unsigned LEB128, in as few bytes as it takes. */
export function unsignedLeb(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return Uint8Array.from(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
