/** Which memory cap a tenant's sandbox gets, and how running into it is recognised and named. */
import { describe, expect, it } from "vitest";
import { isOutOfMemory, memoryLimitError, sandboxMemoryPages } from "../../executor/memory-limit.ts";
import { WASM_MAX_MEMORY_PAGES } from "../../infra/runtime/mod.ts";

const MiB = 1024 * 1024;

describe("sandboxMemoryPages", () => {
  it("gives a tenant its limits.memoryBytes in 64 KiB pages", () => {
    expect(sandboxMemoryPages(32 * MiB)).toBe(512);
  });

  it("never goes above the executor's own cap, whatever the tenant's limit says", () => {
    expect(sandboxMemoryPages(4096 * MiB)).toBe(WASM_MAX_MEMORY_PAGES);
  });
});

describe("isOutOfMemory", () => {
  it("recognises SpiderMonkey's out-of-memory exception as the SDK reports it, and nothing else", () => {
    expect(isOutOfMemory({ message: "out of memory" })).toBe(true);
    expect(isOutOfMemory({ message: "too much recursion" })).toBe(false);
    expect(isOutOfMemory({ message: "the upstream ran out of memory" })).toBe(false);
  });
});

describe("memoryLimitError", () => {
  it("names the step, the limit and how to raise it", () => {
    const error = memoryLimitError(512, { name: "resize", attempt: 2 });
    expect(error).toMatchObject({ name: "MemoryLimitError", code: "limit_exceeded" });
    expect(error.message).toContain('step "resize" attempt 2 ran out of memory');
    expect(error.message).toContain("32 MiB (limits.memoryBytes");
    expect(error.message).toContain("ask the platform admin to raise limits.memoryBytes");
  });

  it("says when it happened outside step bodies", () => {
    expect(memoryLimitError(4096).message).toMatch(/^the workflow ran out of memory outside step bodies: its sandbox may use 256 MiB/);
  });
});
