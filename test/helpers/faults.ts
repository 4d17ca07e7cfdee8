/**
 * Driving faults in a test Kiln: how big a fault run is (`KILN_FAULTS_SCALE`), a seeded random source
 * (the seed is printed, so a failure can be run again), and the executor churn of the chaos run.
 *
 *   const churn = startExecutorChurn(kiln, { executors: 3, random: seeded(seed) });
 *   … await churn.stop(); churn.kills // when each SIGKILL landed
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { expect } from "vitest";
import { decodeEnvelope, Streams, Subjects, type Envelope } from "../../contract/mod.ts";
import type { ServiceProcess } from "../../infra/runtime/mod.ts";
import { fixture, startKiln, type Api, type TenantClient, type TestKiln } from "./kiln.ts";

/**
 * `full` under `npm run test:faults`; `short` (the default) in `npm test` and CI, which must stay
 * fast. Each test picks its sizes from it.
 */
export const FAULTS_SCALE: "full" | "short" = process.env.KILN_FAULTS_SCALE === "full" ? "full" : "short";

/** `KILN_FAULTS_SEED` if set, else a fresh one: print it, a failure names it. */
export const faultsSeed = (): number => Number(process.env.KILN_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/**
 * A Kiln with no executor yet, its tenant `acme` running the kitchen-sink fixture as `workflow`, and
 * a create rate no fault run's batches reach (the default, 300/s, refuses a batch of 200 at once).
 */
export async function startFaultsKiln(workflow: string): Promise<{ kiln: TestKiln; acme: TenantClient }> {
  const kiln = await startKiln({ executors: 0 });
  const acme = await kiln.tenant("acme");
  const deployed = await acme.deploy(workflow, await fixture("kitchen-sink.ts"));
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
  expect((await kiln.adminApi("PUT", "/v1/tenants/acme/settings", { limits: { createsPerSecond: 100_000 } })).status).toBe(200);
  return { kiln, acme };
}

/** A small deterministic generator (mulberry32): the same seed kills in the same rhythm. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface Kill {
  /** `Date.now()` just before the SIGKILL. */
  at: number;
  executor: string;
}

export interface ExecutorChurn {
  /** SIGKILLs so far, in order. */
  readonly kills: readonly Kill[];
  /** Executors started so far, the first ones included. */
  readonly started: number;
  /** Stops killing, waits for replacements being started, and stops (SIGTERM) every executor left. */
  stop(): Promise<void>;
}

export interface ChurnOptions {
  /** Executors kept running. */
  executors: number;
  random: () => number;
  /** Executor settings (e.g. `KILN_HOLD_MS`). */
  env?: Record<string, string>;
  /** Pause between kills, drawn uniformly. @default [1_000, 3_000] */
  everyMs?: [number, number];
}

/**
 * Keeps `executors` executors as child processes and, until stopped, SIGKILLs a random one every
 * 1–3 s and starts another in its place (not waited for: a machine dies whenever it likes, while
 * its replacement boots). Resolves once the first executors are up.
 */
export async function startExecutorChurn(kiln: TestKiln, options: ChurnOptions): Promise<ExecutorChurn> {
  const [minMs, maxMs] = options.everyMs ?? [1_000, 3_000];
  const env = options.env ?? {};
  const live: ServiceProcess[] = [];
  const kills: Kill[] = [];
  const booting = new Set<Promise<void>>();
  let started = 0;
  let stopped = false;
  const startOne = async () => {
    const executor = await kiln.spawnExecutor(env);
    started++;
    if (stopped) await executor.stop();
    else live.push(executor);
  };
  const replace = () => {
    const boot = startOne().catch((error: unknown) => console.error("[faults] a replacement executor did not start:", error));
    booting.add(boot);
    void boot.finally(() => booting.delete(boot));
  };
  await Promise.all(Array.from({ length: options.executors }, startOne));

  let timer: NodeJS.Timeout | undefined;
  let killing: Promise<void> = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(
      () => {
        killing = (async () => {
          // Only executors that are up: a replacement still booting holds no work to lose.
          const victim = live.splice(Math.floor(options.random() * live.length), 1)[0];
          if (victim !== undefined) {
            kills.push({ at: Date.now(), executor: victim.id ?? `pid ${victim.pid}` });
            await victim.kill();
          }
          if (stopped) return;
          replace();
          schedule();
        })();
      },
      minMs + options.random() * (maxMs - minMs),
    );
  };
  schedule();

  return {
    kills,
    get started() {
      return started;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await killing;
      await Promise.all([...booting]);
      await Promise.allSettled(live.splice(0).map((executor) => executor.stop()));
    },
  };
}

/**
 * POSTs until the gateway accepts (202), following its advice (`retryAfterMs`) on a 503 as a client
 * should while NATS restarts or fails over; any other answer fails the test.
 */
export async function sendAccepted(api: Api, path: string, body: unknown): Promise<void> {
  for (;;) {
    const sent = await api("POST", path, body);
    if (sent.status === 202) return;
    expect(sent.status, JSON.stringify(sent.body)).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, Number(sent.body.error.retryAfterMs)));
  }
}

export interface WriteTrigger {
  /** The SIGKILL, once the count was reached; `undefined` while it was not. */
  readonly killed: Promise<void> | undefined;
  /** Stops counting (after a flush, so every write published so far was counted). */
  stop(): Promise<void>;
}

/**
 * SIGKILLs `service` once `killAfter` writes are stored on `subjects` (watched on `nc`): a kill
 * that lands between two writes of one request, wherever the seed puts it.
 */
export async function killAfterWrites(nc: NatsConnection, subjects: readonly string[], killAfter: number, service: ServiceProcess): Promise<WriteTrigger> {
  let writes = 0;
  let killed: Promise<void> | undefined;
  const count = () => {
    if (++writes === killAfter) killed = service.kill();
  };
  const watches = subjects.map((subject) => nc.subscribe(subject, { callback: count }));
  await nc.flush();
  return {
    get killed() {
      return killed;
    },
    async stop() {
      await nc.flush();
      for (const watch of watches) watch.unsubscribe();
    },
  };
}

/** Every work message of the workflow still on the stream, oldest first, with its sequence. */
export async function queuedWork(nc: NatsConnection, tenant: string, workflow: string): Promise<{ seq: number; envelope: Envelope }[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(Streams.work);
  const queued: { seq: number; envelope: Envelope }[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(Streams.work, { seq }).catch(() => undefined);
    if (message?.subject === Subjects.work(tenant, workflow)) queued.push({ seq, envelope: decodeEnvelope(message.data) });
  }
  return queued;
}
