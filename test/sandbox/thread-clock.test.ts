/**
 * A sandbox reports its worker thread's own CPU (thread-clock.ts), which the CPU budgets charge: it
 * grows while the guest spins, and it comes from the thread, not from wall time, on this runtime.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { EngineRequest } from "../../contract/protocol.ts";
import { startBlankWorker } from "../../executor/sandbox/blank-worker.ts";
import { Sandbox, type SandboxCode } from "../../executor/sandbox/sandbox.ts";
import { eventually } from "../helpers/eventually.ts";
import { compiledWorkflow } from "../helpers/compiled-workflow.ts";
import { firstActivation, trivialEngine } from "../helpers/trivial-engine.ts";

let runaway: SandboxCode;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  runaway = await compiledWorkflow(fileURLToPath(new URL("../fixtures/runaway.ts", import.meta.url)));
}, 120_000);
afterAll(async () => sandbox?.kill("test over"));

it("measures a spinning guest's thread CPU from the thread itself, and the kill stops it", async () => {
  sandbox = new Sandbox(startBlankWorker(), runaway);
  const handlers = { call: async (request: string) => JSON.stringify(trivialEngine(JSON.parse(request) as EngineRequest)), log: () => undefined };
  const running = sandbox.activate(firstActivation("runaway", { scenario: "spin-between-steps" }), handlers);
  running.catch(() => undefined);
  await sandbox.loaded;
  // Node 20 has no worker.cpuUsage(): the worker sent its tid and /proc is read; Node 24 and Deno answer cpuUsage.
  expect(sandbox.cpuSource).not.toBe("wall");
  const start = await sandbox.cpuMs();
  await eventually("the spinning guest uses 200 ms of CPU", async () => (await sandbox!.cpuMs()) - start >= 200, 30_000, 50);
  await sandbox.kill("over budget");
  await expect(running).rejects.toMatchObject({ name: "SandboxKilledError" });
}, 60_000);
