/**
 * Capping a core module's memories by rewriting its memory section: pure bytes in, bytes out, checked
 * by compiling and growing the result with the runtime's own WebAssembly.
 */
import { describe, expect, it } from "vitest";
import { capModuleMemory, MemoryCapError, pagesFor, readUnsignedLeb, unsignedLeb, WASM_PAGE_BYTES } from "../../executor/sandbox/memory-cap.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const TYPE_SECTION_EMPTY = [0x01, 0x01, 0x00];

/** A module defining memories with these limits (each exported as `m<index>`), between other sections. */
function moduleWith(memories: { min: number; max?: number; shared?: boolean }[]): Uint8Array {
  const limits = memories.flatMap(({ min, max, shared }) => [
    (max === undefined ? 0 : 1) | (shared ? 2 : 0),
    ...unsignedLeb(min),
    ...(max === undefined ? [] : unsignedLeb(max)),
  ]);
  const memorySection = [...unsignedLeb(memories.length), ...limits];
  const exports = memories.flatMap((_, index) => [2, 0x6d, 0x30 + index, 0x02, index]);
  const exportSection = [...unsignedLeb(memories.length), ...exports];
  return Uint8Array.from([
    ...HEADER,
    ...TYPE_SECTION_EMPTY,
    0x05,
    ...unsignedLeb(memorySection.length),
    ...memorySection,
    0x07,
    ...unsignedLeb(exportSection.length),
    ...exportSection,
  ]);
}

async function memoriesOf(bytes: Uint8Array): Promise<WebAssembly.Memory[]> {
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
  return Object.values(exports) as WebAssembly.Memory[];
}

/** Whether growing by `pages` succeeds. */
function grows(memory: WebAssembly.Memory, pages: number): boolean {
  try {
    memory.grow(pages);
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

describe("LEB128", () => {
  it.each([0, 1, 127, 128, 145, 4096, 65_536, 2 ** 32 - 1, 2 ** 48])("writes and reads back %d", (value) => {
    expect(readUnsignedLeb(unsignedLeb(value), 0)).toEqual({ value, next: unsignedLeb(value).byteLength });
  });

  it("reads a number written with more bytes than it needs, as encoders may pad", () => {
    expect(readUnsignedLeb(Uint8Array.of(0x91, 0x81, 0x80, 0x00), 0)).toEqual({ value: 145, next: 4 });
  });

  it("refuses a number that never ends", () => {
    expect(() => readUnsignedLeb(Uint8Array.of(0x80, 0x80), 0)).toThrow(WebAssembly.CompileError);
  });
});

describe("capModuleMemory", () => {
  it("gives a memory without a maximum the cap: it grows up to it and no further", async () => {
    const capped = capModuleMemory(moduleWith([{ min: 2 }]), 4);
    const [memory] = await memoriesOf(capped);
    expect(grows(memory!, 2)).toBe(true);
    expect(memory!.buffer.byteLength).toBe(4 * WASM_PAGE_BYTES);
    expect(grows(memory!, 1)).toBe(false);
  });

  it("lowers a larger maximum to the cap and keeps a smaller one", async () => {
    const [lowered] = await memoriesOf(capModuleMemory(moduleWith([{ min: 1, max: 100 }]), 5));
    expect(grows(lowered!, 4)).toBe(true);
    expect(grows(lowered!, 1)).toBe(false);
    const [kept] = await memoriesOf(capModuleMemory(moduleWith([{ min: 1, max: 3 }]), 5));
    expect(grows(kept!, 2)).toBe(true);
    expect(grows(kept!, 1)).toBe(false);
  });

  it("keeps a shared memory shared", async () => {
    const [memory] = await memoriesOf(capModuleMemory(moduleWith([{ min: 1, max: 50, shared: true }]), 2));
    expect(memory!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(grows(memory!, 1)).toBe(true);
    expect(grows(memory!, 1)).toBe(false);
  });

  it("caps every memory of a multi-memory module, even when the section's size needs another LEB128 byte", () => {
    // 40 memories without a maximum: an 81-byte section. With a 3-byte maximum each it is 201 bytes,
    // whose size takes two bytes; the export section after it must come through unchanged.
    const memories = Array.from({ length: 40 }, () => ({ min: 1 }));
    const capped = capModuleMemory(moduleWith(memories), 70_000);
    expect(capped).toEqual(moduleWith(memories.map(() => ({ min: 1, max: 70_000 }))));
  });

  it("returns a module that defines no memory as it is", () => {
    const module = Uint8Array.from([...HEADER, ...TYPE_SECTION_EMPTY]);
    expect(capModuleMemory(module, 10)).toBe(module);
  });

  it("refuses a memory that starts above the cap, saying how big it is and what the limit is", () => {
    expect(() => capModuleMemory(moduleWith([{ min: 10 }]), 4)).toThrow(MemoryCapError);
    expect(() => capModuleMemory(moduleWith([{ min: 10 }]), 4)).toThrow(/starts at 655360 bytes, more than the 262144 bytes .*limits\.memoryBytes/);
  });

  it("refuses limits flags it does not know rather than guess", () => {
    const module = moduleWith([{ min: 1 }]);
    const flags = module.indexOf(0x05) + 3; // section id, size, count, then the flags byte
    module[flags] = 0x08;
    expect(() => capModuleMemory(module, 4)).toThrow(WebAssembly.CompileError);
    expect(() => capModuleMemory(module, 4)).toThrow(/limits flags 8/);
  });

  it("refuses a section that runs past the end of the module, as compiling it would", () => {
    expect(() => capModuleMemory(Uint8Array.from([...HEADER, 0x05, 0x10, 0x01]), 4)).toThrow(WebAssembly.CompileError);
  });
});

describe("pagesFor", () => {
  it("rounds down, so the cap is never above the limit", () => {
    expect(pagesFor(256 * 1024 * 1024)).toBe(4096);
    expect(pagesFor(WASM_PAGE_BYTES * 3 - 1)).toBe(2);
  });
});
