/**
 * One tenant, 32 HTTP clients at once, each looping create → wait for the end → GET the status of a
 * 3-step workflow for a fixed time: steps/s and the loop's p50/p99, beside the raw NATS path with as
 * many concurrent clients. The end is awaited on the lifecycle subject (`kiln.events.<tenant>.>`,
 * bench/lifecycle-watch.ts): the gateway has no SSE route for it. Measured with the services as
 * separate processes (gateway, executor, NATS) and as `npm run dev` runs them (one process).
 *
 * Each configuration, the raw path's included, first loops untimed for `clientsWarmUpSeconds`: the
 * figure is a steady state, not a process's first seconds. `npm run dev` starts a fresh process here,
 * and each of the executor's 7 sandbox threads it needs compiles jco's glue in its own V8 isolate:
 * measured with a 3 s warm-up, 660 TurboFan compiles (mostly glue functions, 14 of each) in the
 * 8 s window and V8's helper threads at 0.75 ms of CPU per loop, against 0.28 ms after 20 s; the
 * loops ran at 206/s against 276/s.
 */
import type { BenchContext } from "../context.ts";
import { figure, type Figure } from "../figures.ts";
import type { TenantClient } from "../kiln-client.ts";
import { childNamed, processCpuMs, processWrites, type BenchService } from "../service-process.ts";
import { summarize } from "../stats.ts";
import type { BenchParams } from "../workflow.ts";
import { openRawPath, RAW_PATH_STEPS } from "./raw-path.ts";

const CLIENTS = 32;
const MIN_STEPS_RATIO = 1 / 3;
const MAX_P99_OVER_P50 = 5;

interface Loops {
  /** Each loop's duration, ms. */
  latencies: number[];
  stepsPerSecond: number;
  /** CPU ms per loop of the processes doing the work (Kiln's services; the bench's own client for the raw path) and of nats-server. */
  cpuMsPerLoop: { work: number; nats: number };
  /** Write system calls per loop, of the same processes. */
  writesPerLoop: { work: number; nats: number };
}

/** A reading of the processes doing the work and of nats-server: CPU ms and write system calls so far. */
interface Usage {
  work: () => Promise<{ cpuMs: number; writes: number }>;
  nats: () => Promise<{ cpuMs: number; writes: number }>;
}

/** Loops, with the CPU and writes of `work` and nats-server meanwhile, per loop. */
async function withUsage(usage: Usage, run: () => Promise<Omit<Loops, "cpuMsPerLoop" | "writesPerLoop">>): Promise<Loops> {
  const [workBefore, natsBefore] = await Promise.all([usage.work(), usage.nats()]);
  const loops = await run();
  const [workAfter, natsAfter] = await Promise.all([usage.work(), usage.nats()]);
  const count = loops.latencies.length;
  return {
    ...loops,
    cpuMsPerLoop: { work: (workAfter.cpuMs - workBefore.cpuMs) / count, nats: (natsAfter.cpuMs - natsBefore.cpuMs) / count },
    writesPerLoop: { work: (workAfter.writes - workBefore.writes) / count, nats: (natsAfter.writes - natsBefore.writes) / count },
  };
}

/** The clients' loops of `once`: untimed for `warmUpMs`, then for `durationMs`, timed, with the usage of `usage` meanwhile. */
async function steadyLoops(
  usage: Usage,
  timing: { warmUpMs: number; durationMs: number },
  steps: number,
  once: (client: number) => Promise<void>,
): Promise<Loops> {
  await closedLoops(CLIENTS, timing.warmUpMs, steps, once);
  return withUsage(usage, () => closedLoops(CLIENTS, timing.durationMs, steps, once));
}

/** `clients` loops of `once` until `durationMs` is up; each client finishes the loop it is in. */
async function closedLoops(
  clients: number,
  durationMs: number,
  steps: number,
  once: (client: number) => Promise<void>,
): Promise<Omit<Loops, "cpuMsPerLoop" | "writesPerLoop">> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let failed = false;
  const outcomes = await Promise.allSettled(
    Array.from({ length: clients }, async (_, client) => {
      while (!failed && performance.now() < deadline) {
        const loopStarted = performance.now();
        await once(client).catch((error: unknown) => {
          failed = true;
          throw error;
        });
        latencies.push(performance.now() - loopStarted);
      }
    }),
  );
  // Every client has stopped before anything is torn down, a failed one included.
  const failure = outcomes.find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
  return { latencies, stepsPerSecond: (latencies.length * steps) / ((performance.now() - started) / 1000) };
}

export async function measureClients(context: BenchContext): Promise<Figure[]> {
  const { cluster, sizes } = context;
  const timing = { warmUpMs: sizes.clientsWarmUpSeconds * 1000, durationMs: sizes.clientsSeconds * 1000 };
  const natsServer = await childNamed(cluster.nats.pid, "nats-server");
  const nats = async () => ({ cpuMs: await processCpuMs(natsServer), writes: await processWrites(natsServer) });
  let rawRuns = 0;
  const raw = await (async () => {
    await using rawPath = await openRawPath(cluster.nc);
    const client = async () => {
      const { user, system } = process.cpuUsage();
      return { cpuMs: (user + system) / 1000, writes: await processWrites(process.pid) };
    };
    // Awaited before returning, so the path is disposed of after the loops, not as they start.
    return await steadyLoops({ work: client, nats }, timing, RAW_PATH_STEPS, () => rawPath.run(`c${rawRuns++}`));
  })();
  const loopsThrough = async (tenant: TenantClient, services: BenchService[]) => {
    const once = async () => {
      const id = context.nextId("clients");
      await tenant.create(context.workflow, id, { steps: RAW_PATH_STEPS } satisfies BenchParams);
      await context.completed(id);
      const view = await tenant.get(context.workflow, id);
      if (view.status !== "complete") throw new Error(`instance ${id} is ${view.status} after its complete event`);
    };
    const work = async () => {
      const readings = await Promise.all(services.map(async (service) => ({ cpuMs: await service.cpuMs(), writes: await service.writes() })));
      return readings.reduce((sum, reading) => ({ cpuMs: sum.cpuMs + reading.cpuMs, writes: sum.writes + reading.writes }));
    };
    return steadyLoops({ work, nats }, timing, RAW_PATH_STEPS, once);
  };
  const separate = await loopsThrough(context.tenant, [cluster.gateway, ...cluster.runningExecutors()]);
  context.watch.reset();
  // Dev runs its own executor: the cluster's stop meanwhile, so dev does all the work.
  await cluster.stopExecutors();
  let dev: Loops;
  try {
    await using devProcess = await cluster.startDev();
    dev = await loopsThrough(context.tenant.at(devProcess.url!), [devProcess]);
  } finally {
    context.watch.reset();
    await cluster.addExecutor();
  }
  const rawFloor = { label: `raw NATS path, ${CLIENTS} clients`, unit: "steps/s", value: raw.stepsPerSecond } as const;
  const rawLoop = { label: "raw NATS path loop", unit: "ms", value: summarize(raw.latencies) } as const;
  return (
    [
      ["separate", "gateway, executor, nats-server as separate processes", separate],
      ["dev", "as `npm run dev` runs them (gateway and executor in one process)", dev],
    ] as const
  ).flatMap(([id, how, loops]) => {
    const steps = figure({
      id: `clients-${CLIENTS}-${id}`,
      title: `Steps/s, one tenant, ${CLIENTS} clients looping create → end → GET of a 3-step workflow, ${how}`,
      kiln: { label: "kiln", unit: "steps/s", value: loops.stepsPerSecond },
      floor: rawFloor,
    });
    const latency = summarize(loops.latencies);
    return [
      { ...steps, target: { text: "≥ ⅓ of the raw NATS path's steps/s", met: steps.ratio! >= MIN_STEPS_RATIO } },
      {
        ...figure({
          id: `clients-${CLIENTS}-${id}-loop`,
          title: `Loop create → end → GET, ${CLIENTS} clients, ${how}`,
          kiln: { label: "kiln", unit: "ms", value: latency },
          floor: rawLoop,
        }),
        target: {
          text: `p99 ≤ ${MAX_P99_OVER_P50}× p50 (here ${(latency.p99 / latency.p50).toFixed(1)}×)`,
          met: latency.p99 <= MAX_P99_OVER_P50 * latency.p50,
        },
      },
      figure({
        id: `clients-${CLIENTS}-${id}-cpu`,
        title: `CPU per loop of the services, ${CLIENTS} clients, ${how} (floor: the raw path's client)`,
        kiln: { label: "services", unit: "ms", value: loops.cpuMsPerLoop.work },
        floor: { label: "raw path client", unit: "ms", value: raw.cpuMsPerLoop.work },
        note:
          `nats-server ${loops.cpuMsPerLoop.nats.toFixed(2)} ms per loop (raw path: ${raw.cpuMsPerLoop.nats.toFixed(2)} ms); ` +
          `write system calls per loop: services ${loops.writesPerLoop.work.toFixed(1)}, nats-server ${loops.writesPerLoop.nats.toFixed(1)} ` +
          `(raw path: client ${raw.writesPerLoop.work.toFixed(1)}, nats-server ${raw.writesPerLoop.nats.toFixed(1)})`,
      }),
    ];
  });
}
