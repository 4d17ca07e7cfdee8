/**
 * `npm run dev` as a user runs it: its own process with its own data dir. Ctrl-C ends it, its
 * nats-server included, while tenant code spins; a SIGKILLed one leaves nothing the next start trips
 * over; and two never serve one NATS store. Only generous bounds: how fast it exits is measured
 * (README, Durable semantics: Shutdown), not asserted on a loaded machine.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { KilnClient } from "../../bench/kiln-client.ts";
import { eventually } from "../helpers/eventually.ts";
import { fixture, TEST_COMPILE_CACHE_DIR } from "../helpers/kiln.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Far above the 10 s promised: a loaded 2-core machine starts and stops Node processes slowly. */
const START_LIMIT_MS = 120_000;
const EXIT_LIMIT_MS = 60_000;

interface DevProcess {
  readonly child: ChildProcess;
  readonly admin: KilnClient;
  /** Everything it printed so far, for failure messages. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();

/** Starts scripts/dev.ts as `npm run dev` does, on `dataDir`; resolves once it printed its banner. */
async function startDev(dataDir: string): Promise<DevProcess> {
  const env: Record<string, string | undefined> = { ...process.env, KILN_DATA_DIR: dataDir, KILN_PORT: "0", KILN_COMPILE_CACHE_DIR: TEST_COMPILE_CACHE_DIR };
  // Dev would use these instead of starting and generating its own.
  for (const name of ["KILN_NATS_URL", "KILN_ADMIN_TOKEN", "KILN_SECRETS_KEY"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts", "dev.ts")], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  started.add(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + START_LIMIT_MS;
  let exit: { code: number | null } | undefined;
  void exited.then((result) => (exit = result));
  for (;;) {
    // The banner's lines, not log lines such as "generated an admin token in …".
    const url = /^ {2}gateway +(http\S+)$/m.exec(output)?.[1];
    const token = /^ {2}admin token +(\S+)$/m.exec(output)?.[1];
    if (url && token) return { child, admin: new KilnClient(url, token), output: () => output, exited };
    if (exit) throw new Error(`npm run dev exited (code ${exit.code}) before it was up:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm run dev was not up after ${START_LIMIT_MS} ms:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function exitOf(dev: DevProcess) {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`npm run dev did not exit within ${EXIT_LIMIT_MS} ms:\n${dev.output()}`)), EXIT_LIMIT_MS);
  });
  return Promise.race([dev.exited, limit]).finally(() => clearTimeout(timer));
}

/** Pids of nats-server processes (not their supervising shells) running on `storeDir`. */
function natsServersOn(storeDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    if (basename(args[0] ?? "") === "nats-server" && args.includes(storeDir)) pids.push(Number(entry));
  }
  return pids;
}

async function spinningInstance(dev: DevProcess): Promise<void> {
  const tenant = await dev.admin.createTenant("acme");
  await tenant.deploy("runaway", await fixture("runaway.ts"));
  await tenant.create("runaway", "spinning", { scenario: "spin-in-step" });
  await eventually(
    "the instance spins in its step",
    async () => (await tenant.get("runaway", "spinning")).steps.some((step) => step.name === "started" && step.completedAt !== undefined),
    START_LIMIT_MS,
  );
}

describe("npm run dev", () => {
  let dataDir: string | undefined;

  afterEach(async () => {
    for (const child of started) child.kill("SIGKILL");
    if (dataDir) await eventually("no nats-server is left on the test's store", async () => natsServersOn(join(dataDir!, "nats")).length === 0, EXIT_LIMIT_MS);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it("exits on Ctrl-C while tenant code spins in a step, and leaves no nats-server running", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "kiln-dev-"));
    const storeDir = join(dataDir, "nats");
    const dev = await startDev(dataDir);
    await spinningInstance(dev);
    expect(natsServersOn(storeDir)).toHaveLength(1);

    dev.child.kill("SIGINT");
    const exit = await exitOf(dev);
    expect(exit.code, dev.output()).toBe(0);
    await eventually("its nats-server is gone", async () => natsServersOn(storeDir).length === 0, EXIT_LIMIT_MS);
  }, 300_000);

  it("after a SIGKILL starts again on the same store, never beside a second nats-server, and refuses a second dev on it", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "kiln-dev-"));
    const storeDir = join(dataDir, "nats");
    const first = await startDev(dataDir);
    await spinningInstance(first);
    first.child.kill("SIGKILL");
    await exitOf(first);

    // Sampled all along the next start: the killed dev's server may still be on its way out.
    let mostServers = 0;
    const sampler = setInterval(() => (mostServers = Math.max(mostServers, natsServersOn(storeDir).length)), 20);
    let second: DevProcess;
    try {
      second = await startDev(dataDir);
      await expect(startDev(dataDir)).rejects.toThrow(/is in use by a nats-server of process \d+/);
    } finally {
      clearInterval(sampler);
    }
    expect(mostServers).toBe(1);
    expect(natsServersOn(storeDir)).toHaveLength(1);
    // The same store, working: the tenant made before the SIGKILL is there.
    expect((await second.admin.request("POST", "/v1/tenants", { id: "acme" })).status).toBe(409);

    second.child.kill("SIGINT");
    expect((await exitOf(second)).code, second.output()).toBe(0);
    await eventually("its nats-server is gone", async () => natsServersOn(storeDir).length === 0, EXIT_LIMIT_MS);
  }, 300_000);
});
