/**
 * Executor memory with many sleeping instances: a sleeping instance is a delayed message in NATS
 * and a record in KV, so the executor's resident memory must not grow with their number.
 *
 * The baseline is taken once a first wave of sleepers has gone to sleep: that wave fills every
 * activation slot at once, so each slot's warm sandbox (a worker thread and its component's memory,
 * several MiB each) and the executor's caches exist before it. A warm-up of one instance at a time
 * left all but one slot's sandbox to be made during the measured wave, and their ~50 MiB passed for
 * growth per sleeping instance (measured: 289 → 338 MiB).
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

const MIB = 2 ** 20;
/** The target: resident memory within ±5 % of the baseline. */
const UNCHANGED_WITHIN = 0.05;
/** The first wave, as a share of the measured one. */
const FIRST_WAVE_SHARE = 0.1;

async function sleepers(context: BenchContext, prefix: string, count: number): Promise<void> {
  const ids = context.nextIds(prefix, count);
  await createMany(context.tenant, context.workflow, ids, { sleep: "1 hour" } satisfies BenchParams);
  await Promise.all(ids.map((id) => context.watch.next(id, ["sleeping"])));
}

/** Lets the last activations' garbage go before RSS is read. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

export async function measureSleepingMemory(context: BenchContext): Promise<Figure[]> {
  const { sizes, watch, cluster } = context;
  const [executor, ...others] = cluster.runningExecutors();
  if (!executor || others.length > 0) throw new Error("the sleeping-memory scenario needs exactly one executor running");
  const firstWave = Math.round(sizes.sleepingInstances * FIRST_WAVE_SHARE);
  await sleepers(context, "sleeper-first", firstWave);
  await settle();
  const before = await executor.rss();
  await sleepers(context, "sleeper", sizes.sleepingInstances);
  await settle();
  const after = await executor.rss();
  watch.reset();
  const growth = (after - before) / MIB;
  const change = (after - before) / before;
  return [
    {
      ...figure({
        id: "sleeping-memory",
        title: `Executor RSS growth with ${sizes.sleepingInstances.toLocaleString("en")} sleeping instances`,
        kiln: { label: "growth", unit: "MiB", value: growth },
      }),
      target: { text: `unchanged (within ±${UNCHANGED_WITHIN * 100} %)`, met: Math.abs(change) <= UNCHANGED_WITHIN },
      note:
        `RSS ${(before / MIB).toFixed(0)} MiB with a first wave of ${firstWave.toLocaleString("en")} asleep, ` +
        `${(after / MIB).toFixed(0)} MiB after ${sizes.sleepingInstances.toLocaleString("en")} more (${(change * 100).toFixed(1)} %)`,
    },
  ];
}
