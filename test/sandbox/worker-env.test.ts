/**
 * What a sandbox worker's global scope holds of the executor's process: no environment. The jco glue
 * is the code that runs closest to that scope (it reads `process.env.JCO_DEBUG`), so a module in its
 * place reports what it sees.
 */
import { readFile } from "node:fs/promises";
import { afterAll, expect, it } from "vitest";
import { startBlankWorker } from "../../executor/sandbox/blank-worker.ts";
import { Sandbox } from "../../executor/sandbox/sandbox.ts";

const SECRET = "KILN_TEST_EXECUTOR_SECRET";
process.env[SECRET] = "executor-only";

afterAll(() => {
  delete process.env[SECRET];
});

it("shows the glue an empty, plain process.env, whatever the executor's environment holds", async () => {
  const glue = await readFile(new URL("../fixtures/env-probe-glue.js", import.meta.url), "utf8");
  const sandbox = new Sandbox(startBlankWorker(), { glue, modules: {} });
  try {
    const seen = JSON.parse(await sandbox.activate("{}", { call: async () => "{}", log: () => undefined }));
    expect(seen).toEqual({ keys: [], plainObject: true, [SECRET]: null });
  } finally {
    await sandbox.kill("test over");
  }
});
