/** What every scenario gets: the running cluster, a tenant with the bench workflow, the run's sizes. */
import type { LifecycleEvent } from "../contract/mod.ts";
import type { BenchCluster } from "./cluster.ts";
import type { Figure } from "./figures.ts";
import type { TenantClient } from "./kiln-client.ts";
import type { LifecycleWatch } from "./lifecycle-watch.ts";

export interface BenchSizes {
  kvSamples: number;
  deploySamples: number;
  redeploySamples: number;
  instantiateSamples: number;
  stepOverheadInstances: number;
  stepsPerOverheadInstance: number;
  activationSamples: number;
  replaySteps: number[];
  replaySamples: number;
  createSamples: number;
  throughputConcurrency: number[];
  throughputSteps: number;
  coldStartSamples: number;
  timers: number;
  sleepingInstances: number;
  /** How long the executor idles before each memory reading (see sleeping-memory.ts). */
  sleepingSettleSeconds: number;
  noisyBacklog: number;
  sandboxReplaceSamples: number;
  terminateSamples: number;
  cpuNeighbourSamples: number;
  /** How long the 32 clients loop, per configuration. */
  clientsSeconds: number;
  /** How long they loop untimed before that, so the figure is the services' steady state (see clients.ts). */
  clientsWarmUpSeconds: number;
  /** Instance scale: the stored instances of the small store, and of the large one it is compared with. */
  scaleBaseInstances: number;
  scaleInstances: number;
  /** Requests timed per operation at each store size. */
  scaleSamples: number;
}

export const FULL: BenchSizes = {
  kvSamples: 2_000,
  deploySamples: 3,
  redeploySamples: 20,
  instantiateSamples: 30,
  stepOverheadInstances: 20,
  stepsPerOverheadInstance: 200,
  activationSamples: 50,
  replaySteps: [10, 100, 1_000, 5_000],
  replaySamples: 5,
  createSamples: 50,
  throughputConcurrency: [1, 10, 100, 1_000],
  throughputSteps: 10_000,
  coldStartSamples: 5,
  timers: 1_000,
  sleepingInstances: 10_000,
  sleepingSettleSeconds: 60,
  noisyBacklog: 10_000,
  sandboxReplaceSamples: 30,
  terminateSamples: 30,
  cpuNeighbourSamples: 20,
  clientsSeconds: 10,
  clientsWarmUpSeconds: 8,
  scaleBaseInstances: 1_000,
  scaleInstances: 100_000,
  scaleSamples: 200,
};

/** `--quick`: the same scenarios, small enough to finish in under two minutes. */
export const QUICK: BenchSizes = {
  kvSamples: 500,
  deploySamples: 1,
  redeploySamples: 5,
  instantiateSamples: 10,
  stepOverheadInstances: 5,
  stepsPerOverheadInstance: 100,
  activationSamples: 15,
  replaySteps: [10, 100, 1_000],
  replaySamples: 2,
  createSamples: 10,
  throughputConcurrency: [1, 10, 100],
  throughputSteps: 3_000,
  coldStartSamples: 2,
  timers: 200,
  sleepingInstances: 1_000,
  sleepingSettleSeconds: 5,
  noisyBacklog: 1_000,
  sandboxReplaceSamples: 10,
  terminateSamples: 10,
  cpuNeighbourSamples: 8,
  clientsSeconds: 3,
  clientsWarmUpSeconds: 2,
  scaleBaseInstances: 1_000,
  scaleInstances: 10_000,
  scaleSamples: 50,
};

export interface BenchContext {
  cluster: BenchCluster;
  tenant: TenantClient;
  watch: LifecycleWatch;
  /** The deployed bench workflow's name and version. */
  workflow: string;
  version: string;
  sizes: BenchSizes;
  /** Figures measured so far: later scenarios compare against earlier floors. */
  figures: Figure[];
  /** Unique instance ids across the run. */
  nextId(prefix: string): string;
  nextIds(prefix: string, count: number): string[];
  /** Resolves with the instance's `complete` event; rejects with its error if it ended otherwise. */
  completed(instance: string): Promise<LifecycleEvent>;
}
