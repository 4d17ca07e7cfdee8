/**
 * Noisy neighbour: another tenant queues a large backlog, then this tenant creates instances; how
 * much longer do they take than on an idle system?
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { LifecycleWatch } from "../lifecycle-watch.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { createMany } from "./create-many.ts";

const TARGET_DELAY_MS = 100;
const QUIET_SAMPLES = 10;

export async function measureNoisyNeighbour(context: BenchContext, source: string): Promise<Figure[]> {
  const { sizes, cluster, tenant, workflow } = context;
  const idle = context.figures.find((f) => f.id === "create-to-complete")!.kiln;
  const noisy = await cluster.admin.createTenant("noisy");
  await noisy.deploy(workflow, source);
  const noisyWatch = new LifecycleWatch(cluster.nc, noisy.tenant);
  const backlog = Array.from({ length: sizes.noisyBacklog }, (_, i) => `noisy-${i}`);
  await createMany(noisy, workflow, backlog, { steps: 3 } satisfies BenchParams);
  const unfinished = () => backlog.filter((id) => !noisyWatch.of(id).some((event) => event.kind === "complete")).length;
  const atFirstSample = unfinished();
  const samples = await timeEach(QUIET_SAMPLES, async () => {
    const id = context.nextId("quiet");
    await tenant.create(workflow, id, { steps: 3 } satisfies BenchParams);
    await context.completed(id);
  });
  const atLastSample = unfinished();
  noisyWatch.close();
  if (atFirstSample === 0) throw new Error("the noisy backlog drained before the quiet tenant was measured: raise noisyBacklog");
  const delays = samples.map((ms) => ms - (typeof idle.value === "number" ? idle.value : idle.value.p50));
  const delay = summarize(delays);
  return [
    {
      ...figure({
        id: "noisy-neighbour",
        title: `Extra create → complete time while another tenant has ${sizes.noisyBacklog.toLocaleString("en")} instances queued`,
        kiln: { label: "delay", unit: "ms", value: delay },
      }),
      target: { text: `p99 ≤ ${TARGET_DELAY_MS} ms`, met: delay.p99 <= TARGET_DELAY_MS },
      note: `noisy instances unfinished: ${atFirstSample.toLocaleString("en")} at the first sample, ${atLastSample.toLocaleString("en")} after the last`,
    },
  ];
}
