/**
 * Cold start: an executor that has never seen the version (a fresh process, started before the
 * clock runs) takes an instance: artifact fetch, module compile, instantiate, run.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";
import { runToCompletion } from "./activation.ts";

const TARGET_MS = 300;

export async function measureColdStart(context: BenchContext): Promise<Figure[]> {
  const { cluster, sizes } = context;
  await cluster.stopExecutors();
  const samples: number[] = [];
  const loads: number[] = [];
  for (let i = 0; i < sizes.coldStartSamples; i++) {
    const executor = await cluster.addExecutor();
    const stats = await runToCompletion(context, { steps: 1 }, "cold");
    samples.push(stats.ms);
    loads.push(stats.loadMs);
    await cluster.stopExecutor(executor);
  }
  await cluster.addExecutor();
  const cold = summarize(samples);
  const object = context.figures.find((f) => f.id === "floor-object-get")!.kiln;
  return [
    {
      ...figure({
        id: "cold-start",
        title: "Cold start: first activation of a version unseen by the executor",
        kiln: { label: "activation", unit: "ms", value: cold },
        floor: object,
      }),
      target: { text: `p50 ≤ ${TARGET_MS} ms`, met: cold.p50 <= TARGET_MS },
      note: `floor: object-store get of the artifact; artifact fetch + compile p50 ${summarize(loads).p50.toFixed(0)} ms of it`,
    },
  ];
}
