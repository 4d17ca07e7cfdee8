import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DENO_EXECUTOR_PERMISSIONS, WASM_MEMORY_CAP_FLAG } from "../../infra/runtime/mod.ts";

const denoJson = JSON.parse(await readFile(new URL("../../deno.json", import.meta.url), "utf8")) as { tasks: Record<string, string> };

describe("deno.json", () => {
  // Deno takes V8 flags only at startup, and an executor refuses to start without the cap.
  it("starts every task that runs an executor with the sandboxes' Wasm memory cap", () => {
    for (const task of ["executor", "dev", "compile:executor"]) {
      expect(denoJson.tasks[task], task).toContain(`--v8-flags=${WASM_MEMORY_CAP_FLAG}`);
    }
  });

  // The e2e suite on Deno starts executors with DENO_EXECUTOR_PERMISSIONS; the tasks must match it.
  it("runs the executor with the permissions the Deno e2e suite runs it with, and no more", () => {
    for (const task of ["executor", "compile:executor"]) {
      const flags = denoJson.tasks[task]!.split(/\s+/).filter((word) => /^(-A|--allow-[a-z-]+)(=|$)/.test(word));
      expect(flags, task).toEqual([...DENO_EXECUTOR_PERMISSIONS]);
    }
  });
});
