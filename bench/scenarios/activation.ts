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

/**
 * Measured in the executor's steady state: the scenario before this one starts a fresh executor, and
 * a fresh process's first steps run before V8 has optimized the host's and the sandbox's hot code
 * (a 200-step instance's time per step fell from 460 to 318 µs between its first 10 instances and
 * the next 10, and on to 250–300 µs by the 40th). The same number of instances run first, untimed
 * for the figure; their p50 is in the figure's note.
 */
export async function measureStepOverhead(context: BenchContext): Promise<Figure[]> {
  const { sizes } = context;
  const floor = context.figures.find((f) => f.id === "floor-kv-create")!.kiln;
  const samples = async () => {
    const perStep: number[] = [];
    for (let i = 0; i < sizes.stepOverheadInstances; i++) perStep.push(await stepOverheadSample(context));
    return summarize(perStep);
  };
  const warmingUp = await samples();
  const overhead = figure({
    id: "step-overhead",
    title: `Durable step overhead: empty step.do, committed (mean of ${sizes.stepsPerOverheadInstance} sequential steps per instance), steady state`,
    kiln: { label: "step", unit: "ms", value: await samples() },
    floor,
  });
  const warmUpSteps = sizes.stepOverheadInstances * sizes.stepsPerOverheadInstance;
  return [
    {
      ...overhead,
      target: { text: "≤ 2× raw KV create", met: overhead.ratio! <= 2 },
      note: `after ${warmUpSteps.toLocaleString("en")} untimed steps; those, the executor's first, took p50 ${warmingUp.p50.toFixed(2)} ms`,
    },
  ];
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
