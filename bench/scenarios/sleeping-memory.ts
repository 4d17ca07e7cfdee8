/**
 * Executor memory with many sleeping instances: a sleeping instance is a delayed message in NATS
 * and a record in KV, so the executor's resident memory must not grow with their number.
 *
 * The baseline is the executor after as many instances as the measured wave have run to completion:
 * every activation slot's warm sandbox exists and has served as many activations as it will for the
 * sleepers, so the comparison isolates what sleeping instances keep. A first wave of a tenth as many
 * sleepers left the sandboxes still growing (their component memory and compiled code): measured in
 * V8's reduced state (below), 278 MiB after 1,000, 300 after 10,000 more, 306 after 10,000 more again,
 * with the main thread's heap at 19.3, 19.5 and 19.7 MiB throughout.
 *
 * Each reading is the lowest RSS over `sleepingSettleSeconds` of idleness. V8 keeps a wave's garbage
 * until its memory reducer collects an idle heap: 24–34 s after the last activation in three runs
 * (readings every 2 s; 342 → 280 MiB at once), and once not within 40 s. A reading taken sooner
 * measures when the last collection ran: +0.5 % and +5.6 % in two full runs, +11.5 % and +14.3 % in
 * two runs of this scenario alone, the last on the code before this measurement; with 40 s windows,
 * +13.9 %; with 60 s, +2.5 %. The main thread's live heap stayed at 19–20 MiB across waves of 10,000.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { BenchService } from "../service-process.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

const MIB = 2 ** 20;
/**
 * The target: resident memory at most 5 % above the baseline. Only growth counts: a reading below
 * the baseline is garbage the baseline still held (−5.3 % in a full run, the baseline's 60 s window
 * ending before V8's collection), not memory the sleepers gave back.
 */
const MAX_GROWTH = 0.05;
const READING_INTERVAL_MS = 1_000;

/** Runs `count` instances that go to sleep for an hour; resolves once all are asleep. */
async function sleepers(context: BenchContext, count: number): Promise<void> {
  const ids = context.nextIds("sleeper", count);
  await createMany(context.tenant, context.workflow, ids, { sleep: "1 hour" } satisfies BenchParams);
  await Promise.all(ids.map((id) => context.watch.next(id, ["sleeping"])));
}

/** Runs `count` instances of one step to completion. */
async function finishers(context: BenchContext, count: number): Promise<void> {
  const ids = context.nextIds("memory-baseline", count);
  await createMany(context.tenant, context.workflow, ids, { steps: 1 } satisfies BenchParams);
  await Promise.all(ids.map((id) => context.completed(id)));
}

/** The executor's lowest RSS over `settleMs` with nothing to do (see above). */
async function settledRss(executor: BenchService, settleMs: number): Promise<number> {
  let lowest = await executor.rss();
  for (let waited = 0; waited < settleMs; waited += READING_INTERVAL_MS) {
    await new Promise((resolve) => setTimeout(resolve, READING_INTERVAL_MS));
    lowest = Math.min(lowest, await executor.rss());
  }
  return lowest;
}

export async function measureSleepingMemory(context: BenchContext): Promise<Figure[]> {
  const { sizes, watch, cluster } = context;
  const [executor, ...others] = cluster.runningExecutors();
  if (!executor || others.length > 0) throw new Error("the sleeping-memory scenario needs exactly one executor running");
  const count = sizes.sleepingInstances;
  const settleMs = sizes.sleepingSettleSeconds * 1000;
  await finishers(context, count);
  const before = await settledRss(executor, settleMs);
  await sleepers(context, count);
  const after = await settledRss(executor, settleMs);
  watch.reset();
  const growth = (after - before) / MIB;
  const change = (after - before) / before;
  return [
    {
      ...figure({
        id: "sleeping-memory",
        title: `Executor RSS growth with ${count.toLocaleString("en")} sleeping instances`,
        kiln: { label: "growth", unit: "MiB", value: growth },
      }),
      target: { text: `no growth (at most +${MAX_GROWTH * 100} %)`, met: change <= MAX_GROWTH },
      note:
        `RSS ${(before / MIB).toFixed(0)} MiB after ${count.toLocaleString("en")} instances ran to completion, ` +
        `${(after / MIB).toFixed(0)} MiB with ${count.toLocaleString("en")} more asleep (${(change * 100).toFixed(1)} %), ` +
        `each the lowest over ${sizes.sleepingSettleSeconds} s idle`,
    },
  ];
}
