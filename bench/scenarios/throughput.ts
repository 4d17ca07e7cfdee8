/**
 * Committed steps per second with 1 … 1,000 instances running at once, on one executor and on two.
 * The window runs from the first create request to the last completion, so queueing counts.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

const TARGET_STEPS_PER_SECOND = 4_000;
const TARGET_CONCURRENCY = 100;

export async function measureThroughput(context: BenchContext): Promise<Figure[]> {
  const { sizes, cluster } = context;
  const figures: Figure[] = [];
  const floor = context.figures.find((f) => f.id === "floor-kv-create-throughput")!.kiln;
  for (const executors of [1, 2]) {
    const extra = executors === 2 ? await cluster.addExecutor() : undefined;
    for (const concurrency of sizes.throughputConcurrency) {
      const stepsEach = Math.max(3, Math.round(sizes.throughputSteps / concurrency));
      const started = performance.now();
      const ids = context.nextIds(`tp-${executors}-${concurrency}`, concurrency);
      await createMany(context.tenant, context.workflow, ids, { steps: stepsEach } satisfies BenchParams);
      await Promise.all(ids.map((id) => context.completed(id)));
      const rate = (concurrency * stepsEach) / ((performance.now() - started) / 1000);
      const measured = figure({
        id: `throughput-${concurrency}-x${executors}`,
        title: `Committed steps/s, ${concurrency.toLocaleString("en")} concurrent instances × ${stepsEach} steps, ${executors} executor${executors > 1 ? "s" : ""}`,
        kiln: { label: "steps", unit: "steps/s", value: rate },
        floor,
      });
      const target =
        executors === 1 && concurrency === TARGET_CONCURRENCY
          ? { target: { text: `≥ ${TARGET_STEPS_PER_SECOND.toLocaleString("en")} steps/s`, met: rate >= TARGET_STEPS_PER_SECOND } }
          : {};
      figures.push({ ...measured, ...target });
      context.watch.reset();
    }
    if (extra) await cluster.stopExecutor(extra);
  }
  return figures;
}
