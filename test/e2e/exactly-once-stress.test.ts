/**
 * Exactly once under stress: what instance `mixed-7` of mixed-runtimes.test.ts needed to run the body
 * of step 1 twice, forced on purpose. Two Node executors and two Deno executors share one NATS with
 * leases and ack waits under a second; every instance's work envelope is queued three times, so two
 * executors hold messages for the same instance at once; a thread spins for the whole run. A Deno
 * executor stalls past its lease between claiming an instance and running its first step, a Node
 * executor holding a copy of the message takes the instance over, and the Deno one wakes up with a
 * sandbox ready to run step 1. Every step body must still run once, every step be recorded once, and
 * every instance complete once.
 *
 * Needs `deno` on PATH; without one it is skipped, except in CI (CI=true), where a missing Deno fails.
 */
import { spawnSync } from "node:child_process";
import { jetstream, jetstreamManager, type ConsumerInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENVELOPE_VERSION, FINAL_STATUSES, Streams, Subjects, workConsumer, type Envelope, type LifecycleEvent } from "../../contract/mod.ts";
import { nanos } from "../../infra/nats-duration.ts";
import { launcherFor } from "../../infra/runtime/mod.ts";
import { enqueue } from "../../infra/work-queue.ts";
import { startCpuBurner } from "../helpers/cpu-burner.ts";
import { startKilnWithKitchenSink, TEST_RUNTIME, type JsonBody, type TenantClient, type TestExecutor, type TestKiln } from "../helpers/kiln.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { bodyRuns } from "../helpers/shared-work.ts";

/**
 * A stall of a few hundred milliseconds (a cold start on a busy machine) loses the instance. Not
 * lower: the heartbeat renews every `LEASE_MS / 3`, and a lease no executor can keep proves nothing.
 */
const LEASE_MS = 600;
/** The tenant's work consumer redelivers a message that long unattended. */
const ACK_WAIT_MS = 600;
/** Retry delays and sleeps longer than this suspend the instance: wake-ups and journal snapshots run too. */
const HOLD_MS = 100;
/** Copies of each instance's start envelope queued beside the gateway's, without a dedupe id. */
const DUPLICATES = 2;
const INSTANCES = 48;
/** Instances created per batch, each batch followed by its copies, so executors take both at once. */
const BATCH = 8;
/** A healthy run finishes its instances in 5–22 s on 2 busy cores; a lost timer never does. */
const FINISH_WITHIN_MS = 45_000;

const TENANT = "acme";
const WORKFLOW = "sink";

const STRESS_ENV = {
  KILN_LEASE_MS: String(LEASE_MS),
  KILN_WORK_ACK_WAIT_MS: String(ACK_WAIT_MS),
  KILN_HOLD_MS: String(HOLD_MS),
  KILN_EXECUTOR_CONCURRENCY: "4",
};

/**
 * The Deno executors are the ones that stall. On Deno 2, starting a worker thread (`new Worker` from
 * node:worker_threads) blocks the starting thread until the worker is up: 70–150 ms per worker on an
 * idle machine, up to 0.4 s per worker and 1.2 s for four beside a spinning thread (on Node: ~1 ms),
 * and no lease is renewed meanwhile.
 * Keeping no warm sandbox makes every activation a cold start: the replacement for the spare worker
 * it took starts as its sandbox finishes loading, while the workflow waits for its first step.
 *
 * One activation at a time, so such a freeze never catches another activation with a step body in
 * flight: a body cut off by a stall longer than the lease may run again by design (README, "A step
 * body runs once"). With four at a time this test failed correct code in 5 of 26 runs that way.
 */
const DENO_ENV = {
  ...STRESS_ENV,
  KILN_EXECUTOR_CONCURRENCY: "1",
  KILN_MAX_IDLE_SANDBOXES: "0",
  KILN_SPARE_SANDBOX_WORKERS: "1",
};
const DENO_EXECUTORS = 2;

interface Workload {
  params: { scenario: string; [name: string]: unknown };
  /** Steps the journal must hold, one record each. */
  steps: string[];
  /** How often each logged body (`body:<name>`) must have run. */
  bodies: Record<string, number>;
  outputIsRight(output: JsonBody, id: string): boolean;
}

/** Kitchen-sink scenarios (test/fixtures/kitchen-sink.ts). */
const WORKLOADS = {
  steps: {
    params: { scenario: "steps", count: 3 },
    steps: ["step 1", "step 2", "step 3"],
    bodies: { "step 1": 1, "step 2": 1, "step 3": 1 },
    outputIsRight: (output, id) => output?.sum === 12 && output?.instanceId === id,
  },
  // Two retries 300 and 600 ms apart, each a suspension and a wake-up; three attempts, one record.
  retry: {
    params: { scenario: "retry", sleep: 300 },
    steps: ["flaky"],
    bodies: { flaky: 3 },
    outputIsRight: (output) => output?.caught === "service unavailable",
  },
  sleep: {
    params: { scenario: "sleep", sleep: 700 },
    steps: ["before", "nap", "after"],
    bodies: {},
    outputIsRight: (output) => output?.after - output?.before >= 700,
  },
} satisfies Record<string, Workload>;

/** Mostly the scenario of `mixed-7`, with a retrying and a sleeping instance in every batch. */
const workloadOf = (index: number): keyof typeof WORKLOADS => (index % BATCH === 3 ? "retry" : index % BATCH === 6 ? "sleep" : "steps");

const denoRuntime = TEST_RUNTIME?.startsWith("deno") ? TEST_RUNTIME : "deno";
const nodeRuntime = TEST_RUNTIME?.startsWith("node") ? TEST_RUNTIME : "node";
/** Where the services run (this process unless KILN_TEST_RUNTIME says otherwise), and a Node child process. */
const nodeExecutorRuntimes = TEST_RUNTIME?.startsWith("deno") ? [nodeRuntime, nodeRuntime] : [TEST_RUNTIME, nodeRuntime];
const denoMissing = spawnSync(launcherFor(denoRuntime).binary, ["--version"]).status !== 0 && !process.env.CI;

let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  if (denoMissing) return;
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 0, executorEnv: STRESS_ENV }));
});

afterAll(async () => {
  await kiln?.close();
});

describe.skipIf(denoMissing)("exactly once under stress (needs deno on PATH: npm install --global deno@2)", () => {
  it("runs every step body once while executors lose leases to each other on a loaded machine", async () => {
    const burner = startCpuBurner();
    const executors: TestExecutor[] = [];
    let closing: Promise<unknown> | undefined;
    const closeExecutors = () => (closing ??= Promise.allSettled(executors.map((executor) => executor.close())));
    try {
      const nc = await kiln.nats.connect();
      for (const runtime of nodeExecutorRuntimes) executors.push(await kiln.startExecutor(STRESS_ENV, runtime));
      for (let i = 0; i < DENO_EXECUTORS; i++) executors.push(await kiln.startExecutor(DENO_ENV, denoRuntime));
      expect(executors.map((executor) => executor.runtime)).toEqual(["node", "node", ...Array(DENO_EXECUTORS).fill("deno")]);
      // The first executor to see the tenant creates its consumer; a longer ack wait would hide the race.
      expect((await workConsumerInfo(nc, TENANT)).config.ack_wait).toBe(nanos(ACK_WAIT_MS));

      const events = await collectEvents(nc, TENANT);
      const startedAt = Date.now();
      const ids = Array.from({ length: INSTANCES }, (_, index) => `stress-${index}`);
      const workload = new Map(ids.map((id, index) => [id, workloadOf(index)]));
      await createWithCopies(nc, ids, workload);
      const unfinished = await waitUntilFinished(events, ids, FINISH_WITHIN_MS);
      const finishedMs = Date.now() - startedAt;
      // Graceful: running activations finish (a stale one included) and their log lines are out.
      await closeExecutors();
      events.stop();

      const names = new Map(executors.map((executor) => [executor.id, `${executor.id} (${executor.description})`]));
      const who = (executor: string | undefined) => (executor === undefined ? "?" : (names.get(executor) ?? executor));
      const stepRecords = await journalStepRecords(nc, TENANT, WORKFLOW, ids);
      const report: string[] = [];
      for (const id of ids) {
        const expected = WORKLOADS[workload.get(id)!];
        const instanceEvents = events.of(id);
        const view = await acme.get(WORKFLOW, id);
        const lines = (await acme.logs(WORKFLOW, id)) as StoredLogLine[];
        const problems: string[] = [];
        if (unfinished.includes(id)) problems.push(`not finished within ${FINISH_WITHIN_MS} ms`);
        if (view.status !== "complete") problems.push(`status ${view.status}`);
        else if (!expected.outputIsRight(view.output, id)) problems.push(`wrong output ${JSON.stringify(view.output)}`);
        for (const [body, times] of Object.entries(expected.bodies)) {
          const ran = bodyRuns(lines, body);
          if (ran !== times) problems.push(`body of "${body}" ran ${ran} times, not ${times}`);
        }
        const recorded = stepRecords.get(id) ?? [];
        const wanted = expected.steps.map((step) => `${step}#1`).sort();
        if (JSON.stringify(recorded) !== JSON.stringify(wanted)) problems.push(`journal holds [${recorded.join(", ")}], not [${wanted.join(", ")}]`);
        const completes = instanceEvents.filter((event) => event.kind === "complete").length;
        if (completes !== 1) problems.push(`${completes} complete events`);
        if (problems.length > 0) report.push(`${id} (${workload.get(id)}): ${problems.join("; ")}\n${timeline(lines, instanceEvents, who, startedAt)}`);
      }

      const activations = events.activationsByExecutor();
      const takenOver = ids.filter((id) => new Set(events.of(id).flatMap((event) => (event.kind === "running" ? [event.executor] : []))).size > 1);
      console.log(
        `exactly-once stress: ${INSTANCES} instances (+${DUPLICATES} copies each) finished in ${finishedMs} ms; ` +
          `activations ${[...activations].map(([executor, count]) => `${who(executor)}: ${count}`).join(", ")}; ` +
          `${takenOver.length} instances ran on more than one executor; ${report.length} went wrong`,
      );
      expect(report.length, `${report.length} of ${INSTANCES} instances went wrong (times from the first create):\n\n${report.join("\n\n")}\n`).toBe(0);
      for (const executor of executors) expect(activations.get(executor.id) ?? 0, `activations of ${who(executor.id)}`).toBeGreaterThan(0);
    } finally {
      await closeExecutors();
      kiln.executors.splice(0);
      await burner.stop();
    }
  });
});

interface StoredLogLine {
  ts: number;
  level: string;
  message: string;
  source: string;
}

interface EventLog {
  of(instance: string): LifecycleEvent[];
  /** `running` events per executor id. */
  activationsByExecutor(): Map<string, number>;
  stop(): void;
}

/** Subscribes to the tenant's lifecycle events (before anything is created, so none is missed). */
async function collectEvents(nc: NatsConnection, tenant: string): Promise<EventLog> {
  const byInstance = new Map<string, LifecycleEvent[]>();
  const subscription = nc.subscribe(Subjects.eventsOfTenant(tenant), {
    callback: (error, message) => {
      if (error) return;
      const event = message.json<LifecycleEvent>();
      byInstance.set(event.instance, [...(byInstance.get(event.instance) ?? []), event]);
    },
  });
  await nc.flush();
  return {
    of: (instance) => byInstance.get(instance) ?? [],
    activationsByExecutor() {
      const counts = new Map<string, number>();
      for (const event of [...byInstance.values()].flat()) {
        if (event.kind === "running" && event.executor) counts.set(event.executor, (counts.get(event.executor) ?? 0) + 1);
      }
      return counts;
    },
    stop: () => subscription.unsubscribe(),
  };
}

async function workConsumerInfo(nc: NatsConnection, tenant: string): Promise<ConsumerInfo> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await jsm.consumers.info(Streams.work, workConsumer(tenant));
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no executor created the work consumer of tenant '${tenant}' within 10 s`, { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the instances in batches, each batch followed by `DUPLICATES` copies of its start envelopes. */
async function createWithCopies(nc: NatsConnection, ids: string[], workload: Map<string, keyof typeof WORKLOADS>): Promise<void> {
  const js = jetstream(nc);
  for (let start = 0; start < ids.length; start += BATCH) {
    const batch = ids.slice(start, start + BATCH);
    const created = await acme.api(
      "POST",
      `/v1/tenants/${TENANT}/workflows/${WORKFLOW}/instances/batch`,
      batch.map((id) => ({ id, params: WORKLOADS[workload.get(id)!].params })),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (const instance of created.body.instances as { id: string; version: string; error?: unknown }[]) {
      expect(instance.error, `creating ${instance.id}`).toBeUndefined();
      for (let copy = 1; copy <= DUPLICATES; copy++) {
        const envelope: Envelope = {
          v: ENVELOPE_VERSION,
          tenant: TENANT,
          workflow: WORKFLOW,
          version: instance.version,
          instance: instance.id,
          reason: "start",
          attempt: copy,
          enqueuedAt: Date.now(),
        };
        await enqueue(js, envelope);
      }
    }
  }
}

/** Waits for a final lifecycle event of every instance; returns those still without one at the deadline. */
async function waitUntilFinished(events: EventLog, ids: string[], timeoutMs: number): Promise<string[]> {
  const finals = FINAL_STATUSES as ReadonlySet<string>;
  const unfinished = () => ids.filter((id) => !events.of(id).some((event) => finals.has(event.kind)));
  const deadline = Date.now() + timeoutMs;
  while (unfinished().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return unfinished();
}

/** An instance's log lines and lifecycle events in time order: what a failure shows. */
function timeline(lines: StoredLogLine[], events: LifecycleEvent[], who: (executor: string | undefined) => string, since: number): string {
  const rows = [
    ...lines.map((line) => ({ ts: line.ts, text: `log   ${line.source}/${line.level}: ${line.message}` })),
    ...events.map((event) => {
      const activation = event.activation;
      const detail = [
        event.reason && `reason ${event.reason}`,
        event.executor && `on ${who(event.executor)}`,
        activation && `by ${who(activation.executor)}: ${activation.ms} ms, replayed ${activation.replayed}, committed ${activation.committed}`,
      ].filter(Boolean);
      return { ts: event.ts, text: `event ${event.kind}${detail.length > 0 ? ` (${detail.join(", ")})` : ""}` };
    }),
  ].sort((a, b) => a.ts - b.ts);
  return rows.map((row) => `    +${String(row.ts - since).padStart(6)} ms  ${row.text}`).join("\n");
}
