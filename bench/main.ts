/**
 * `npm run bench -- [--quick] [--runtime node|node:/path/to/node|deno|deno:/path/to/deno] [--only throughput,timers] [--out dir]
 * [--cpu-prof dir] [--instances 100000]` (`--only` takes phase names as listed in `phases` below, e.g. "sandbox replace,terminate";
 * `--cpu-prof` writes a CPU profile of every service process into `dir` as it stops; `--instances` is the large store of
 * "instance scale", by default 100,000, 10,000 when quick).
 *
 * Measures the figures of the design ("Figures to reach") beside their physical floor, in one run
 * against a private nats-server, with the gateway and executors as separate processes on the chosen
 * runtime. Prints a table and writes it, charts and JSON under docs/bench/ (quick: docs/bench/quick/).
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { availableParallelism, cpus, platform, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findNatsServer } from "../infra/nats-server.ts";
import { launcherFor } from "../infra/runtime/mod.ts";
import { BenchCluster } from "./cluster.ts";
import { FULL, QUICK, type BenchContext } from "./context.ts";
import type { Figure } from "./figures.ts";
import { LifecycleWatch } from "./lifecycle-watch.ts";
import { renderTable, writeReport, type BenchRun, type Machine } from "./report.ts";
import { measureActivations, measureReplays, measureStepOverhead } from "./scenarios/activation.ts";
import { measureClients } from "./scenarios/clients.ts";
import { measureColdStart } from "./scenarios/cold-start.ts";
import { measureCpuNeighbour } from "./scenarios/cpu-neighbour.ts";
import { measureDeploys } from "./scenarios/deploy.ts";
import { measureFloors } from "./scenarios/floors.ts";
import { measureInstanceScale } from "./scenarios/instance-scale.ts";
import { measureLatency } from "./scenarios/latency.ts";
import { measureNoisyNeighbour } from "./scenarios/noisy-neighbour.ts";
import { measureSandboxReplace } from "./scenarios/sandbox-replace.ts";
import { measureSleepingMemory } from "./scenarios/sleeping-memory.ts";
import { measureThroughput } from "./scenarios/throughput.ts";
import { measureTerminate } from "./scenarios/terminate.ts";
import { measureTimers } from "./scenarios/timers.ts";
import { measureWatchdogCost } from "./scenarios/watchdog-cost.ts";
import { withCpuProfile } from "./service-process.ts";

const WORKFLOW = "bench";

function natsServerVersion(): string {
  const binary = findNatsServer();
  if (!binary) throw new Error("no nats-server found: `npm run bench` installs one; or set KILN_NATS_SERVER");
  return `nats-server ${spawnSync(binary, ["--version"], { encoding: "utf8" })
    .stdout.trim()
    .replace(/^nats-server:\s*/, "")}`;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    runtime: { type: "string", default: "node" },
    out: { type: "string" },
    only: { type: "string" },
    "cpu-prof": { type: "string" },
    instances: { type: "string" },
  },
});

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const launcher = args["cpu-prof"] ? withCpuProfile(launcherFor(args.runtime), resolve(args["cpu-prof"])) : launcherFor(args.runtime);
const sizes = { ...(args.quick ? QUICK : FULL) };
if (args.instances !== undefined) {
  const instances = Number(args.instances);
  if (!Number.isInteger(instances) || instances <= sizes.scaleBaseInstances) {
    throw new Error(`--instances must be a whole number above ${sizes.scaleBaseInstances} (the small store), got '${args.instances}'`);
  }
  sizes.scaleInstances = instances;
}
const machine: Machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  benchNode: process.version,
  // Replaced by what the gateway reports it runs on (e.g. `deno 2.9.6`) once it is up.
  runtime: launcher.name,
  natsServer: natsServerVersion(),
};
const startedAt = new Date();
const started = performance.now();
const cluster = await BenchCluster.start(launcher);
machine.runtime = cluster.gateway.description;
console.log(`Kiln bench${args.quick ? " (quick)" : ""}: services on ${machine.runtime}, ${machine.cores} cores, ${machine.cpu}, ${machine.natsServer}`);
const figures: Figure[] = [];
const failures: string[] = [];
try {
  const source = await readFile(join(REPO_ROOT, "bench", "workflow.ts"), "utf8");
  const tenant = await cluster.admin.createTenant("bench");
  const watch = new LifecycleWatch(cluster.nc, tenant.tenant);
  let counter = 0;
  const deployStarted = performance.now();
  const { version } = await tenant.deploy(WORKFLOW, source);
  const firstDeployMs = performance.now() - deployStarted;
  console.log(`  first deploy: ${(firstDeployMs / 1000).toFixed(1)} s`);
  const context: BenchContext = {
    cluster,
    tenant,
    watch,
    workflow: WORKFLOW,
    version,
    sizes,
    figures,
    nextId: (prefix) => `${prefix}-${++counter}`,
    nextIds: (prefix, count) => Array.from({ length: count }, () => `${prefix}-${++counter}`),
    completed: (id) =>
      watch.completed(id, async (instance) => ({
        error: (await tenant.get(WORKFLOW, instance)).error,
        lastLogLines: (await tenant.logs(WORKFLOW, instance)).slice(-10).map((line) => line.message),
      })),
  };
  const phases: Array<[string, () => Promise<Figure[]>]> = [
    ["floors", () => measureFloors(context)],
    ["deploy", () => measureDeploys(context, source, firstDeployMs)],
    ["activations", () => measureActivations(context, { KILN_MAX_IDLE_SANDBOXES: "0" })],
    ["step overhead", () => measureStepOverhead(context)],
    ["replay", () => measureReplays(context)],
    ["latency", () => measureLatency(context)],
    ["cold start", () => measureColdStart(context)],
    ["throughput", () => measureThroughput(context)],
    ["timers", () => measureTimers(context)],
    ["sleeping memory", () => measureSleepingMemory(context)],
    ["noisy neighbour", () => measureNoisyNeighbour(context, source)],
    ["sandbox replace", () => measureSandboxReplace(context)],
    ["terminate", () => measureTerminate(context)],
    ["watchdog cost", () => measureWatchdogCost(context)],
    ["cpu neighbour", () => measureCpuNeighbour(context, source)],
    ["32 clients", () => measureClients(context)],
    // Last: its 100,000 stored instances (and their journals) would weigh on every scenario after it.
    ["instance scale", () => measureInstanceScale(context, source)],
  ];
  await cluster.addExecutor();
  // Floors and the deploy figures always run: other figures are compared with them.
  const only = args.only?.split(",").map((name) => name.trim());
  // On Deno a killed spinning sandbox runs on and none can be demoted (README, "CPU containment on
  // Deno"): the quiet tenant's instances would wait out the watch's 5-minute deadline, one by one.
  const unmeasurable = launcher.name === "deno" ? ["cpu neighbour"] : [];
  for (const name of unmeasurable) console.log(`  ${name}: not measured on ${launcher.name} (see the README's Runtimes section)`);
  const chosen = phases.filter(([name]) => !unmeasurable.includes(name) && (!only || ["floors", "deploy"].includes(name) || only.includes(name)));
  for (const [name, measure] of chosen) {
    const phaseStarted = performance.now();
    try {
      figures.push(...(await measure()));
    } catch (error) {
      // Keep what was measured; the failure is reported and the run exits non-zero.
      failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
    }
    console.log(`  ${name}: ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s${failures.at(-1)?.startsWith(`${name}:`) ? " (FAILED)" : ""}`);
  }
  watch.close();
} finally {
  await cluster.close();
}

const run: BenchRun = {
  startedAt: startedAt.toISOString(),
  quick: args.quick,
  durationSeconds: (performance.now() - started) / 1000,
  machine,
  figures,
};
console.log(`\n${renderTable(run)}`);
const outDir = args.out ?? join(REPO_ROOT, "docs", "bench", ...(args.quick ? ["quick"] : []));
for (const file of await writeReport(run, outDir)) console.log(`wrote ${file}`);
if (failures.length > 0) {
  console.error(`\n${failures.length} scenario(s) failed:\n${failures.join("\n")}`);
  process.exitCode = 1;
}
