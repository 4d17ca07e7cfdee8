/**
 * Executors on different runtimes serve one NATS side by side: a Deno 2 executor and a Node executor
 * (the Node under test: this one, or `KILN_TEST_RUNTIME=node:<binary>`) pull from the same work queue,
 * and every instance still runs each step body exactly once. Needs `deno` on PATH; without one it is
 * skipped, except in CI (CI=true), where a missing Deno fails the run.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launcherFor } from "../../infra/runtime/mod.ts";
import { isFinished, startKilnWithKitchenSink, TEST_RUNTIME, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const denoRuntime = TEST_RUNTIME?.startsWith("deno") ? TEST_RUNTIME : "deno";
const nodeRuntime = TEST_RUNTIME?.startsWith("node") ? TEST_RUNTIME : "node";
const denoMissing = spawnSync(launcherFor(denoRuntime).binary, ["--version"]).status !== 0 && !process.env.CI;

let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  if (denoMissing) return;
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 0 }));
});

afterAll(async () => {
  await kiln?.close();
});

const bodyRuns = (lines: { message: string }[], name: string) => lines.filter((line) => line.message === `body:${name}`).length;

describe.skipIf(denoMissing)("mixed runtimes (needs deno on PATH: npm install --global deno@2)", () => {
  it("runs instances on a Deno executor and a Node executor sharing one NATS", async () => {
    const deno = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" }, denoRuntime);
    const node = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" }, nodeRuntime);
    const activations = await kiln.watchActivations();
    try {
      expect(deno.description).toMatch(/^deno 2\./);
      expect(node.description).toMatch(/^node v\d+\./);
      const ids = Array.from({ length: 32 }, (_, i) => `mixed-${i}`);
      const batch = await acme.api(
        "POST",
        "/v1/tenants/acme/workflows/sink/instances/batch",
        ids.map((id) => ({ id, params: { scenario: "steps", count: 3, spinMs: 20 } })),
      );
      expect(batch.status).toBe(201);
      for (const id of ids) {
        const view = await acme.waitFor("sink", id, isFinished);
        expect(view).toMatchObject({ status: "complete", output: { sum: 12 } });
        const lines = await acme.logs("sink", id);
        for (const step of ["step 1", "step 2", "step 3"]) expect(bodyRuns(lines, step), `${id}: ${JSON.stringify(lines)}`).toBe(1);
      }
      const byExecutor = activations.byExecutor();
      expect(byExecutor.get(deno.id)).toBeGreaterThan(0);
      expect(byExecutor.get(node.id)).toBeGreaterThan(0);
    } finally {
      activations.stop();
      await Promise.all([deno.close(), node.close()]);
      kiln.executors.splice(0);
    }
  });
});
