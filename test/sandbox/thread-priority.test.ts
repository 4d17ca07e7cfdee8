/**
 * A demoted sandbox's worker thread runs at nice 19 while the executor's own threads stay at their
 * priority (sandbox/thread-priority.ts), read back from /proc; and a demoted sandbox never goes back
 * to the warm pool still demoted.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, expect, it } from "vitest";
import type { EngineRequest } from "../../contract/protocol.ts";
import { startBlankWorker } from "../../executor/sandbox/blank-worker.ts";
import { Sandbox, type ActivationHandlers, type SandboxCode } from "../../executor/sandbox/sandbox.ts";
import { SandboxPool } from "../../executor/sandbox/sandbox-pool.ts";
import { DEMOTED_NICE } from "../../executor/sandbox/thread-priority.ts";
import { compiledWorkflow } from "../helpers/compiled-workflow.ts";
import { eventually } from "../helpers/eventually.ts";
import { firstActivation, trivialEngine } from "../helpers/trivial-engine.ts";

const handlers: ActivationHandlers = {
  call: async (request) => JSON.stringify(trivialEngine(JSON.parse(request) as EngineRequest)),
  log: () => undefined,
};

/** A thread's nice value: field 19 of its stat line. */
function niceOf(tid: number | string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** Nice value of each thread of this process. */
function threadNices(): number[] {
  return readdirSync("/proc/self/task").flatMap((tid) => {
    try {
      return [niceOf(tid)];
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}
const demotedThreads = () => threadNices().filter((nice) => nice === DEMOTED_NICE).length;

let hello: SandboxCode;
let runaway: SandboxCode;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const compile = (name: string) => compiledWorkflow(fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url)));
  [hello, runaway] = await Promise.all([compile("hello"), compile("runaway")]);
}, 120_000);

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

it.skipIf(!existsSync("/proc/thread-self"))(
  "lowers a spinning sandbox's thread to nice 19, and no other thread",
  async () => {
    const before = threadNices();
    const mainNice = niceOf(process.pid);
    const sandbox = new Sandbox(startBlankWorker(), runaway);
    cleanups.push(() => sandbox.kill("test over"));
    const running = sandbox.activate(firstActivation("runaway", { scenario: "spin-between-steps" }), handlers);
    running.catch(() => undefined);
    await sandbox.loaded;
    expect(demotedThreads()).toBe(before.filter((nice) => nice === DEMOTED_NICE).length);
    sandbox.demote();
    expect(demotedThreads()).toBe(before.filter((nice) => nice === DEMOTED_NICE).length + 1);
    expect(niceOf(process.pid)).toBe(mainNice);
  },
  60_000,
);

it.skipIf(!existsSync("/proc/thread-self"))(
  "demotes a fresh sandbox asked before it told its thread, and never pools it demoted",
  async () => {
    const pool = new SandboxPool({ spareWorkers: 0 });
    cleanups.push(() => pool.close());
    const sandbox = pool.acquire("acme/hello/1", () => hello);
    // Asked before the worker told its tid: applied when it does.
    sandbox.demote();
    await sandbox.activate(firstActivation("hello", { name: "nice" }), handlers);
    expect(demotedThreads()).toBe(1);
    pool.release("acme/hello/1", sandbox);
    // Restored where this process may raise a thread's priority again (root, CAP_SYS_NICE), else discarded.
    await eventually("no thread is left demoted", async () => demotedThreads() === 0, 10_000, 20);
    expect(pool.idleCount).toBe(sandbox.alive ? 1 : 0);
  },
  60_000,
);
