/**
 * What the CPU watchdog costs a step: the durable step overhead on an executor with the watchdog on
 * (its default 100 ms reads) and on one with it off (`KILN_CPU_WATCHDOG_INTERVAL_MS=0`), alternating
 * so both see the same machine. The ratio is on over off. On a loaded machine that ratio is mostly
 * noise, so beside it: what one watchdog read of a sandbox's CPU takes, timed on a real sandbox here.
 */
import { WATCHDOG_INTERVAL_MS } from "../../executor/cpu-watchdog.ts";
import { SandboxPool } from "../../executor/sandbox/sandbox-pool.ts";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { benchSandboxCode } from "../sandbox-code.ts";
import { summarize, timeEach } from "../stats.ts";
import { runToCompletion, stepOverheadSample } from "./activation.ts";

/** Each setting gets this many turns; a loaded machine drifts, so one long turn each would compare two moments. */
const TURNS = 4;
/** Within noise on a shared machine: the watchdog is meant to cost nothing measurable. */
const TARGET_RATIO = 1.1;
const WATCHDOG_OFF = { KILN_CPU_WATCHDOG_INTERVAL_MS: "0" };
const CPU_READS = 200;

export async function measureWatchdogCost(context: BenchContext): Promise<Figure[]> {
  const { cluster, sizes } = context;
  const samples = { on: [] as number[], off: [] as number[] };
  const perTurn = Math.max(1, Math.ceil(sizes.stepOverheadInstances / TURNS));
  for (let turn = 0; turn < TURNS; turn++) {
    // on, off, off, on, …: a machine whose load drifts one way favours neither.
    for (const setting of turn % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
      await cluster.stopExecutors();
      await cluster.addExecutor(setting === "off" ? WATCHDOG_OFF : {});
      await runToCompletion(context, { steps: 0 }, "watchdog-warmup");
      for (let i = 0; i < perTurn; i++) samples[setting].push(await stepOverheadSample(context));
    }
  }
  await cluster.stopExecutors();
  await cluster.addExecutor();
  await runToCompletion(context, { steps: 0 }, "warmup");
  const cost = figure({
    id: "watchdog-cost",
    title: `CPU watchdog's cost: durable step overhead with the watchdog on vs off (mean of ${sizes.stepsPerOverheadInstance} sequential steps per instance)`,
    kiln: { label: "watchdog on", unit: "ms", value: summarize(samples.on) },
    floor: { label: "watchdog off", unit: "ms", value: summarize(samples.off) },
  });
  const read = await timeCpuReads(context);
  // Its wall time bounds what a read takes from the executor's main thread (most of it is the read's I/O).
  const share = read.p50 / WATCHDOG_INTERVAL_MS;
  return [
    {
      ...cost,
      target: { text: `nothing measurable: ≤ ${TARGET_RATIO}× off`, met: cost.ratio! <= TARGET_RATIO },
      note: `one read of a sandbox's CPU (${read.source}, bench process) takes p50 ${(read.p50 * 1000).toFixed(0)} µs, p99 ${(read.p99 * 1000).toFixed(0)} µs: at one read per ${WATCHDOG_INTERVAL_MS} ms per running activation, at most ${(share * 100).toFixed(3)} % of the executor's time`,
    },
  ];
}

/** Times the watchdog's read of a live sandbox thread's CPU, as the executor reads it. */
async function timeCpuReads(context: BenchContext) {
  const pool = new SandboxPool({ maxIdle: 1, spareWorkers: 0 });
  try {
    const code = await benchSandboxCode(context);
    const sandbox = pool.acquire(context.version, () => code);
    await sandbox.loaded;
    const samples = summarize(await timeEach(CPU_READS, () => sandbox.cpuMs()));
    pool.release(context.version, sandbox); // idle now: closing the pool stops its thread
    return { ...samples, source: sandbox.cpuSource };
  } finally {
    await pool.close();
  }
}
