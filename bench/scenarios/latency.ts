/**
 * End-to-end latency as a tenant sees it: HTTP create → first step committed, and create → complete
 * of a 3-step workflow, against the raw NATS path for the same work measured in the same run.
 */
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import { summarize, timeEach } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";

const FLOOR_STREAM = "BENCH_FLOOR_WORK";
const FLOOR_SUBJECT = "bench.floor.work";

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
  const raw = await measureRawPath(context, sizes.createSamples);
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

/** The same work with bare NATS calls: publish an envelope, pull it, 3 KV creates, KV put of the result. */
async function measureRawPath(context: BenchContext, samples: number): Promise<number[]> {
  const { nc } = context.cluster;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: FLOOR_STREAM, subjects: [FLOOR_SUBJECT] });
  await jsm.consumers.add(FLOOR_STREAM, { durable_name: "floor", ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(FLOOR_STREAM, "floor");
  const kv = await new Kvm(js).create("bench_floor_path", { history: 1 });
  const envelope = JSON.stringify({
    v: 1,
    tenant: "bench",
    workflow: "bench",
    version: "v",
    instance: "i",
    reason: "start",
    attempt: 1,
    enqueuedAt: Date.now(),
  });
  try {
    return await timeEach(samples, async (i) => {
      await js.publish(FLOOR_SUBJECT, envelope);
      const message = await consumer.next({ expires: 5_000 });
      if (!message) throw new Error("the floor's envelope was not delivered");
      for (let step = 0; step < 3; step++) await kv.create(`i${i}.s${step}`, JSON.stringify({ step, result: step }));
      await kv.put(`i${i}`, JSON.stringify({ status: "complete", output: 3 }));
      message.ack();
    });
  } finally {
    await kv.destroy();
    await jsm.streams.delete(FLOOR_STREAM);
  }
}
