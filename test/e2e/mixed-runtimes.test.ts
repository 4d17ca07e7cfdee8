/**
 * Executors on different runtimes serve one NATS side by side: a Deno 2 executor and a Node executor
 * (the Node under test: this one, or `KILN_TEST_RUNTIME=node:<binary>`) pull from the same work queue,
 * and every instance still runs each step body exactly once. Needs `deno` on PATH; without one it is
 * skipped, except in CI (CI=true), where a missing Deno fails the run.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launcherFor } from "../../infra/runtime/mod.ts";
import { startKilnWithKitchenSink, TEST_RUNTIME, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { expectSharedWork } from "../helpers/shared-work.ts";

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

describe.skipIf(denoMissing)("mixed runtimes (needs deno on PATH: npm install --global deno@2)", () => {
  it("runs instances on a Deno executor and a Node executor sharing one NATS", async () => {
    const deno = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" }, denoRuntime);
    const node = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" }, nodeRuntime);
    try {
      expect(deno.description).toMatch(/^deno 2\./);
      expect(node.description).toMatch(/^node v\d+\./);
      await expectSharedWork(kiln, acme, [deno, node], "mixed", 32);
    } finally {
      await Promise.all([deno.close(), node.close()]);
      kiln.executors.splice(0);
    }
  });
});
