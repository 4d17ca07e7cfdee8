/**
 * One instance at a time on an idle executor: the durable step overhead, activations that replay
 * nothing (warm and freshly instantiated) and replays of long journals. Timings come from the
 * executor's own activation stats on the lifecycle events.
 */
import type { ActivationStats } from "../../contract/mod.ts";
import type { BenchParams } from "../workflow.ts";
import type { BenchContext } from "../context.ts";
import { central, figure, type Figure } from "../figures.ts";
import { summarize } from "../stats.ts";

/** Runs one bench instance to completion and returns the stats of its last activation. */
export async function runToCompletion(context: BenchContext, params: BenchParams, prefix: string): Promise<ActivationStats> {
  const id = context.nextId(prefix);
  await context.tenant.create(context.workflow, id, params);
  const done = await context.completed(id);
  if (!done.activation) throw new Error(`instance ${id}: the complete event carries no activation stats`);
  return done.activation;
}

/** One instance of `stepsPerOverheadInstance` sequential empty steps: the mean time of a committed step. */
export async function stepOverheadSample(context: BenchContext): Promise<number> {
  const stats = await runToCompletion(context, { steps: context.sizes.stepsPerOverheadInstance }, "overhead");
  return (stats.ms - stats.loadMs) / stats.committed;
}

export async function measureStepOverhead(context: BenchContext): Promise<Figure[]> {
  const { sizes } = context;
  const floor = context.figures.find((f) => f.id === "floor-kv-create")!.kiln;
  const perStep: number[] = [];
  for (let i = 0; i < sizes.stepOverheadInstances; i++) perStep.push(await stepOverheadSample(context));
  const overhead = figure({
    id: "step-overhead",
    title: `Durable step overhead: empty step.do, committed (mean of ${sizes.stepsPerOverheadInstance} sequential steps per instance)`,
    kiln: { label: "step", unit: "ms", value: summarize(perStep) },
    floor,
  });
  return [{ ...overhead, target: { text: "≤ 2× raw KV create", met: overhead.ratio! <= 2 } }];
}

export async function measureActivations(context: BenchContext, freshExecutorEnv: Record<string, string>): Promise<Figure[]> {
  const { sizes, cluster } = context;
  const warm: number[] = [];
  for (let i = 0; i < sizes.activationSamples; i++) {
    const stats = await runToCompletion(context, { steps: 0 }, "warm");
    if (!stats.freshInstance) warm.push(stats.ms);
  }
  // An executor that keeps no warm instance: every activation instantiates the component.
  await cluster.stopExecutors();
  const fresh: number[] = [];
  const executor = await cluster.addExecutor(freshExecutorEnv);
  await runToCompletion(context, { steps: 0 }, "fresh-warmup");
  for (let i = 0; i < sizes.activationSamples; i++) {
    const stats = await runToCompletion(context, { steps: 0 }, "fresh");
    if (stats.freshInstance) fresh.push(stats.ms);
  }
  await cluster.stopExecutor(executor);
  await cluster.addExecutor();
  await runToCompletion(context, { steps: 0 }, "warmup");

  const instantiateFloor = context.figures.find((f) => f.id === "floor-instantiate")!.kiln;
  const warmFigure = figure({
    id: "activation-warm",
    title: "Activation replaying 0 steps, warm instance",
    kiln: { label: "activation", unit: "ms", value: summarize(warm) },
  });
  const freshFigure = figure({
    id: "activation-fresh",
    title: "Activation replaying 0 steps, fresh instantiate",
    kiln: { label: "activation", unit: "ms", value: summarize(fresh) },
    floor: instantiateFloor,
  });
  return [
    { ...warmFigure, target: { text: "p50 ≤ 2 ms", met: central(warmFigure.kiln) <= 2 } },
    { ...freshFigure, target: { text: "p50 ≤ 10 ms", met: central(freshFigure.kiln) <= 10 } },
  ];
}

/** Builds journals of N steps (instance waits for an event after them), then times the replaying activation. */
export async function measureReplays(context: BenchContext): Promise<Figure[]> {
  const { sizes, tenant, watch, workflow } = context;
  const figures: Figure[] = [];
  for (const steps of sizes.replaySteps) {
    const samples: number[] = [];
    const loads: number[] = [];
    const rounds = steps >= 5_000 ? Math.max(1, Math.floor(sizes.replaySamples / 2)) : sizes.replaySamples;
    for (let i = 0; i < rounds; i++) {
      const id = context.nextId(`replay-${steps}`);
      await tenant.create(workflow, id, { steps, waitFor: "go" } satisfies BenchParams);
      await watch.next(id, ["waiting"]);
      await tenant.sendEvent(workflow, id, "go");
      const done = await context.completed(id);
      const stats = done.activation!;
      if (stats.replayed !== steps) throw new Error(`instance ${id} replayed ${stats.replayed} steps, expected ${steps}`);
      samples.push(stats.ms);
      loads.push(stats.loadMs);
    }
    const replay = summarize(samples);
    const target = steps === 1_000 ? { target: { text: "≤ 50 ms", met: replay.p50 <= 50 } } : {};
    figures.push({
      ...figure({
        id: `replay-${steps}`,
        title: `Activation replaying ${steps.toLocaleString("en")} recorded steps`,
        kiln: { label: "activation", unit: "ms", value: replay },
      }),
      ...target,
      note: `journal load p50 ${summarize(loads).p50.toFixed(1)} ms of it`,
    });
  }
  return figures;
}
