/**
 * Terminate of a running instance: from the terminate API call to its `terminated` lifecycle event
 * (published once the instance record says `terminated`), for an instance spinning inside a step
 * body and one spinning between steps. Either way only killing its sandbox can stop it.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";

const TARGET_P99_MS = 1_000;
const POLL_MS = 20;
const SPIN_START_TIMEOUT_MS = 60_000;
/** After the step before the loop is seen committed: the guest is in its loop by then. */
const SPIN_BEFORE_TERMINATE_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureTerminate(context: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const where of ["in-step", "between-steps"] as const) {
    const samples: number[] = [];
    for (let i = 0; i < context.sizes.terminateSamples; i++) samples.push(await terminateOne(context, where));
    const latency = summarize(samples);
    figures.push({
      ...figure({
        id: `terminate-${where}`,
        title: `Terminate → \`terminated\`, instance spinning ${where === "in-step" ? "inside a step body" : "between steps"}`,
        kiln: { label: "terminate", unit: "ms", value: latency },
      }),
      target: { text: `p99 ≤ ${TARGET_P99_MS} ms`, met: latency.p99 <= TARGET_P99_MS },
    });
  }
  return figures;
}

async function terminateOne(context: BenchContext, where: "in-step" | "between-steps"): Promise<number> {
  const { tenant, workflow, watch } = context;
  const id = context.nextId(`terminate-${where}`);
  await tenant.create(workflow, id, { spin: { where } } satisfies BenchParams);
  const deadline = performance.now() + SPIN_START_TIMEOUT_MS;
  while (!(await tenant.get(workflow, id)).steps.some((step) => step.name === "started" && step.completedAt !== undefined)) {
    if (performance.now() > deadline) throw new Error(`instance ${id} did not reach its loop within ${SPIN_START_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
  await sleep(SPIN_BEFORE_TERMINATE_MS);
  const started = performance.now();
  // Terminated on the spot when no activation holds it (it cannot, here, unless the loop was missed).
  if ((await tenant.terminate(workflow, id)).status !== "terminated") await watch.next(id, ["terminated"]);
  return performance.now() - started;
}
