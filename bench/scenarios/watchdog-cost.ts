/**
 * What the CPU watchdog costs a step: the durable step overhead on an executor with the watchdog on
 * (its default 100 ms reads) and on one with it off (`KILN_CPU_WATCHDOG_INTERVAL_MS=0`), alternating
 * so both see the same machine. The ratio is on over off.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";
import { runToCompletion, stepOverheadSample } from "./activation.ts";

/** Each setting gets this many turns; a loaded machine drifts, so one long turn each would compare two moments. */
const TURNS = 4;
/** Within noise on a shared machine: the watchdog is meant to cost nothing measurable. */
const TARGET_RATIO = 1.1;
const WATCHDOG_OFF = { KILN_CPU_WATCHDOG_INTERVAL_MS: "0" };

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
  return [{ ...cost, target: { text: `nothing measurable: ≤ ${TARGET_RATIO}× off`, met: cost.ratio! <= TARGET_RATIO } }];
}
