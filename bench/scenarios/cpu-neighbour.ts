/**
 * Noisy CPU neighbour: another tenant spins on every activation slot of the executor (a loop in a
 * step body, each attempt ended by its 1 s timeout and retried at once, so it never lets go for
 * long; the executor keeps its last free slot for a tenant running nothing, so it holds 7 of 8), while
 * this tenant runs a 3-step workflow. Its create → complete p50 beside the same
 * workflow's on the same executor idle just before, in the same run.
 */
import { availableParallelism } from "node:os";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { LifecycleWatch } from "../lifecycle-watch.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";

const TARGET_RATIO = 2;
/** The executor's default KILN_EXECUTOR_CONCURRENCY (4 × cores); the bench runs it on this machine. */
const SLOTS = 4 * availableParallelism();
/** Twice the slots: a spinner waiting out its retry delay always has another ready to take its slot. */
const SPINNERS = 2 * SLOTS;
const SPIN: BenchParams = { spin: { where: "in-step", timeout: "1 second", retries: 100_000 } };
/** Once every slot has had a spinner: the machine is as loaded as it gets. */
const SETTLE_MS = 1_000;

export async function measureCpuNeighbour(context: BenchContext, source: string): Promise<Figure[]> {
  const { cluster, tenant, workflow, sizes } = context;
  /** Activation times (from the `complete` event): what is left of create → complete waited for a slot or for NATS. */
  const activationMs: number[] = [];
  const threeSteps = async () => {
    const id = context.nextId("cpu-neighbour");
    await tenant.create(workflow, id, { steps: 3 } satisfies BenchParams);
    const done = await context.completed(id);
    activationMs.push(done.activation?.ms ?? Number.NaN);
  };
  const idle = await timeEach(sizes.cpuNeighbourSamples, threeSteps);
  const idleActivation = summarize(activationMs.splice(0));

  const spinner = await cluster.admin.createTenant("cpu-spinner");
  await spinner.deploy(workflow, source);
  const spinnerWatch = new LifecycleWatch(cluster.nc, spinner.tenant);
  const spinners = Array.from({ length: SPINNERS }, (_, i) => `spinner-${i}`);
  try {
    for (const id of spinners) await spinner.create(workflow, id, SPIN);
    await Promise.all(spinners.slice(0, SLOTS).map((id) => spinnerWatch.next(id, ["running"])));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const noisy = await timeEach(sizes.cpuNeighbourSamples, threeSteps);
    const result = figure({
      id: "cpu-neighbour",
      title: `Create → complete, 3-step workflow, while another tenant spins on all ${SLOTS} activation slots`,
      kiln: { label: "beside the spinner", unit: "ms", value: summarize(noisy) },
      floor: { label: "idle executor", unit: "ms", value: summarize(idle) },
    });
    const note = `${SPINNERS} spinning instances; the activation itself p50 ${summarize(activationMs).p50.toFixed(1)} ms beside the spinner, ${idleActivation.p50.toFixed(1)} ms idle`;
    return [{ ...result, target: { text: `p50 ≤ ${TARGET_RATIO}× idle`, met: result.ratio! <= TARGET_RATIO }, note }];
  } finally {
    // The spinners would go on for as long as their retries: stop them before the next scenario.
    await Promise.all(
      spinners.map(async (id) => {
        // One between attempts is not running: the gateway terminates it on the spot, no event.
        if ((await spinner.terminate(workflow, id)).status !== "terminated") await spinnerWatch.next(id, ["terminated"]);
      }),
    );
    spinnerWatch.close();
  }
}
