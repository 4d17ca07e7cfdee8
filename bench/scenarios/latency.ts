/**
 * End-to-end latency as a tenant sees it: HTTP create → first step committed, and create → complete
 * of a 3-step workflow, against the raw NATS path for the same work measured in the same run.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { openRawPath } from "./raw-path.ts";

export async function measureLatency(context: BenchContext): Promise<Figure[]> {
  const { tenant, workflow, sizes } = context;
  const firstStep: number[] = [];
  const complete: number[] = [];
  for (let i = 0; i < sizes.createSamples; i++) {
    const id = context.nextId("latency");
    const createdAt = Date.now();
    const started = performance.now();
    await tenant.create(workflow, id, { steps: 3 } satisfies BenchParams);
    await context.completed(id);
    complete.push(performance.now() - started);
    // Read after the clock stopped: the status view is not part of the path being measured.
    const view = await tenant.get(workflow, id);
    firstStep.push(Date.parse(String(view.steps[0]!.completedAt)) - createdAt);
  }
  await using rawPath = await openRawPath(context.cluster.nc);
  const raw = await timeEach(sizes.createSamples, (i) => rawPath.run(`i${i}`));
  const completeFigure = figure({
    id: "create-to-complete",
    title: "Create → complete, 3-step workflow (HTTP create, executor run, result visible)",
    kiln: { label: "kiln", unit: "ms", value: summarize(complete) },
    floor: { label: "publish, pull, 3 KV creates, KV put", unit: "ms", value: summarize(raw) },
  });
  return [
    figure({ id: "create-to-first-step", title: "Create → first step committed", kiln: { label: "kiln", unit: "ms", value: summarize(firstStep) } }),
    { ...completeFigure, target: { text: "p50 ≤ 2× the raw NATS path", met: completeFigure.ratio! <= 2 } },
  ];
}
