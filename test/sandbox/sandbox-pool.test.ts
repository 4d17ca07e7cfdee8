/**
 * The sandbox pool's spare workers, with a real compiled component (test/fixtures/hello.ts): a fresh
 * sandbox runs in a worker started before it was asked for, with its glue imported ahead when it is
 * the last fresh sandbox's, spares are replaced, `close()` stops them, and a killed sandbox never
 * serves again.
 */
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EngineRequest } from "../../contract/protocol.ts";
import { startBlankWorker } from "../../executor/sandbox/blank-worker.ts";
import { SandboxPoolClosedError } from "../../executor/sandbox/errors.ts";
import { Sandbox, type ActivationHandlers, type SandboxCode } from "../../executor/sandbox/sandbox.ts";
import { SandboxPool } from "../../executor/sandbox/sandbox-pool.ts";
import { SpareWorkers } from "../../executor/sandbox/spare-workers.ts";
import { compiledWorkflow } from "../helpers/compiled-workflow.ts";
import { firstActivation, trivialEngine } from "../helpers/trivial-engine.ts";

const handlers: ActivationHandlers = {
  call: async (request) => JSON.stringify(trivialEngine(JSON.parse(request) as EngineRequest)),
  log: () => undefined,
};

async function greet(sandbox: Sandbox, name: string): Promise<unknown> {
  return JSON.parse(await sandbox.activate(firstActivation("hello", { name }), handlers));
}

const greeting = (name: string) => ({ outcome: "complete", output: { greeting: `hello ${name}`, when: true } });

let hello: SandboxCode;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  hello = await compiledWorkflow(fileURLToPath(new URL("../fixtures/hello.ts", import.meta.url)));
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe("spare workers", () => {
  /** Spares whose every started worker is recorded, with whether it has exited. */
  function recordedSpares(count: number) {
    const started: Worker[] = [];
    const exited = new Set<Worker>();
    const spares = new SpareWorkers(count, () => {
      const worker = startBlankWorker();
      worker.on("exit", () => exited.add(worker));
      started.push(worker);
      return worker;
    });
    cleanups.push(() => spares.close());
    return { spares, started, exited };
  }

  it("hands out a worker started before it was asked for, and a refill replaces it", async () => {
    const { spares, started } = recordedSpares(2);
    expect(started).toHaveLength(2);
    const taken = spares.take();
    expect(taken).toBe(started[0]);
    expect(spares.size).toBe(1);
    const sandbox = new Sandbox(taken, hello);
    cleanups.push(() => sandbox.kill("test over"));
    expect(await greet(sandbox, "ada")).toEqual(greeting("ada"));
    spares.refill();
    expect(started).toHaveLength(3);
    expect(spares.size).toBe(2);
  });

  it("stops every spare on close and refuses to hand out more", async () => {
    const { spares, started, exited } = recordedSpares(2);
    await spares.close();
    expect(started.every((worker) => exited.has(worker))).toBe(true);
    expect(spares.size).toBe(0);
    expect(() => spares.take()).toThrow(SandboxPoolClosedError);
    spares.refill();
    expect(started).toHaveLength(2);
  });

  it("drops a spare that died blank", async () => {
    const { spares, started } = recordedSpares(1);
    await started[0]!.terminate();
    expect(spares.size).toBe(0);
    const taken = spares.take();
    expect(taken).not.toBe(started[0]);
    await taken.terminate();
  });
});

describe("sandbox pool", () => {
  function pool(): SandboxPool {
    const created = new SandboxPool({ spareWorkers: 2 });
    cleanups.push(() => created.close());
    return created;
  }

  it("instantiates a fresh sandbox in a spare and starts its replacement once it has loaded", async () => {
    const sandboxes = pool();
    expect(sandboxes.spareCount).toBe(2);
    const sandbox = sandboxes.acquire("acme/hello/v1", () => hello);
    expect(sandboxes.spareCount).toBe(1);
    expect(await greet(sandbox, "ada")).toEqual(greeting("ada"));
    expect(sandboxes.spareCount).toBe(2);
    sandboxes.release("acme/hello/v1", sandbox);
    expect(sandboxes.acquire("acme/hello/v1", () => hello)).toBe(sandbox);
  });

  it("has spares import the last fresh sandbox's glue ahead, and uses it only for the same glue", async () => {
    const sandboxes = pool();
    /** A fresh sandbox of `version` greets `name`; answers whether its glue was imported ahead. */
    const gluePreloaded = async (version: string, code: SandboxCode, name: string) => {
      const sandbox = sandboxes.acquire(version, () => code);
      expect(await greet(sandbox, name)).toEqual(greeting(name));
      return sandbox.gluePreloaded;
    };
    expect(await gluePreloaded("acme/hello/v1", hello, "ada")).toBe(false);
    // Another version (another tenant's, even) of the same shape: jco wrote the same glue.
    expect(await gluePreloaded("umbra/hello/v1", hello, "bob")).toBe(true);
    // Other glue text: imported afresh, and the spares move on to it.
    const other = { ...hello, glue: `${hello.glue}\n// another shape\n` };
    expect(await gluePreloaded("acme/hello/v2", other, "cy")).toBe(false);
    expect(await gluePreloaded("acme/hello/v3", other, "di")).toBe(true);
  });

  it("never hands out a killed sandbox again", async () => {
    const sandboxes = pool();
    const killed = sandboxes.acquire("acme/hello/v1", () => hello);
    expect(await greet(killed, "ada")).toEqual(greeting("ada"));
    await killed.kill("step timed out");
    sandboxes.release("acme/hello/v1", killed);
    expect(sandboxes.idleCount).toBe(0);
    const fresh = sandboxes.acquire("acme/hello/v1", () => hello);
    expect(fresh).not.toBe(killed);
    expect(await greet(fresh, "bob")).toEqual(greeting("bob"));
    await expect(greet(killed, "cy")).rejects.toMatchObject({ name: "SandboxKilledError" });
  });

  it("keeps a quiet version's only warm sandbox when a busy version fills the pool", async () => {
    const sandboxes = new SandboxPool({ spareWorkers: 0, maxIdle: 2 });
    cleanups.push(() => sandboxes.close());
    const quiet = sandboxes.acquire("quiet/hello/v1", () => hello);
    await greet(quiet, "ada");
    sandboxes.release("quiet/hello/v1", quiet);
    const busy = [0, 1, 2].map(() => sandboxes.acquire("noisy/hello/v1", () => hello));
    await Promise.all(busy.map((sandbox) => greet(sandbox, "bob")));
    for (const sandbox of busy) sandboxes.release("noisy/hello/v1", sandbox);
    expect(sandboxes.idleCount).toBe(2);
    expect(quiet.alive).toBe(true);
    expect(busy.filter((sandbox) => sandbox.alive)).toHaveLength(1);
    expect(sandboxes.acquire("quiet/hello/v1", () => hello)).toBe(quiet);
  });

  it("stops idle sandboxes and spares on close, then refuses new sandboxes", async () => {
    const sandboxes = pool();
    const sandbox = sandboxes.acquire("acme/hello/v1", () => hello);
    await greet(sandbox, "ada");
    sandboxes.release("acme/hello/v1", sandbox);
    await sandboxes.close();
    expect(sandbox.alive).toBe(false);
    expect(sandboxes.idleCount).toBe(0);
    expect(sandboxes.spareCount).toBe(0);
    expect(() => sandboxes.acquire("acme/hello/v2", () => hello)).toThrow(SandboxPoolClosedError);
  });
});
