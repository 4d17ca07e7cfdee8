import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { WASM_MEMORY_CAP_FLAG } from "../../infra/runtime/mod.ts";

const denoJson = JSON.parse(await readFile(new URL("../../deno.json", import.meta.url), "utf8")) as { tasks: Record<string, string> };

describe("deno.json", () => {
  // Deno takes V8 flags only at startup, and an executor refuses to start without the cap.
  it("starts every task that runs an executor with the sandboxes' Wasm memory cap", () => {
    for (const task of ["executor", "dev", "compile:executor"]) {
      expect(denoJson.tasks[task], task).toContain(`--v8-flags=${WASM_MEMORY_CAP_FLAG}`);
    }
  });
});
