/**
 * Timer lateness: many instances sleep past the executor's hold window (so they suspend and their
 * timer rides on NATS), then record the real time they woke inside a step.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

const SLEEP = "2 seconds";
const TARGET_P99_LATE_MS = 250;
const READS_IN_FLIGHT = 16;

export async function measureTimers(context: BenchContext): Promise<Figure[]> {
  const { sizes, tenant, workflow, watch } = context;
  const ids = context.nextIds("timer", sizes.timers);
  await createMany(tenant, workflow, ids, { sleep: SLEEP } satisfies BenchParams);
  await Promise.all(ids.map((id) => context.completed(id)));
  const late: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: READS_IN_FLIGHT }, async () => {
      while (next < ids.length) {
        const view = await tenant.get(workflow, ids[next++]!);
        const nap = view.steps.find((step) => step.name === "nap") as { until?: string } | undefined;
        const woke = view.steps.find((step) => step.name === "woke") as { output?: number } | undefined;
        if (!nap?.until || typeof woke?.output !== "number") throw new Error(`instance ${view.id} has no sleep record or wake time`);
        late.push(woke.output - Date.parse(nap.until));
      }
    }),
  );
  const lateness = summarize(late);
  watch.reset();
  return [
    {
      ...figure({
        id: "timer-lateness",
        title: `Timer lateness, ${sizes.timers.toLocaleString("en")} instances sleeping ${SLEEP}`,
        kiln: { label: "late by", unit: "ms", value: lateness },
      }),
      target: { text: `never early, p99 ≤ ${TARGET_P99_LATE_MS} ms late`, met: lateness.min >= 0 && lateness.p99 <= TARGET_P99_LATE_MS },
    },
  ];
}
