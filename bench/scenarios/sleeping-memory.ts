/**
 * Executor memory with many sleeping instances: a sleeping instance is a delayed message in NATS
 * and a record in KV, so the executor's resident memory must not grow with their number.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";
import { runToCompletion } from "./activation.ts";

const MIB = 2 ** 20;
/** Growth below this is noise of a garbage-collected heap, not memory held per instance. */
const UNCHANGED_BELOW_MIB = 32;

export async function measureSleepingMemory(context: BenchContext): Promise<Figure[]> {
  const { sizes, tenant, workflow, watch, cluster } = context;
  const [executor, ...others] = cluster.runningExecutors();
  if (!executor || others.length > 0) throw new Error("the sleeping-memory scenario needs exactly one executor running");
  // Settle first: warm instances and caches exist before the baseline is taken.
  for (let i = 0; i < 20; i++) await runToCompletion(context, { steps: 1 }, "memory-warmup");
  const before = await executor.rss();
  const ids = context.nextIds("sleeper", sizes.sleepingInstances);
  await createMany(tenant, workflow, ids, { sleep: "1 hour" } satisfies BenchParams);
  await Promise.all(ids.map((id) => watch.next(id, ["sleeping"])));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await executor.rss();
  watch.reset();
  const growth = (after - before) / MIB;
  return [
    {
      ...figure({
        id: "sleeping-memory",
        title: `Executor RSS growth with ${sizes.sleepingInstances.toLocaleString("en")} sleeping instances`,
        kiln: { label: "growth", unit: "MiB", value: growth },
      }),
      target: { text: `unchanged (< ${UNCHANGED_BELOW_MIB} MiB growth)`, met: growth < UNCHANGED_BELOW_MIB },
      note: `RSS ${(before / MIB).toFixed(0)} MiB before, ${(after / MIB).toFixed(0)} MiB after`,
    },
  ];
}
