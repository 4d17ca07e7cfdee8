/**
 * Big journals replay correctly after an executor dies mid-run (README "Durable semantics",
 * guarantee 1): an instance of thousands of steps, and one whose step results sit near the 1 MiB
 * limit. The executor (a child process) is SIGKILLed once part of the journal is written; another
 * executor replays what was recorded and finishes the run. The output must be what an unbroken run
 * returns, the journal hold one record per step, and the finishing activation have replayed at least
 * what was recorded at the kill.
 *
 * 5,000 steps under `npm run test:faults`, 1,000 in `npm test`.
 */
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Buckets, Keys, MAX_STEP_RESULT_BYTES, Subjects, type LifecycleEvent } from "../../contract/mod.ts";
import type { ServiceProcess } from "../../infra/runtime/mod.ts";
import { eventually } from "../helpers/eventually.ts";
import { FAULTS_SCALE } from "../helpers/faults.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const WORKFLOW = "faults";
const MANY_STEPS = FAULTS_SCALE === "full" ? 5_000 : 1_000;
/** Per body, so the run lasts long enough (≥ 1–2 s) to be killed in the middle. */
const SPIN_MS = FAULTS_SCALE === "full" ? 1 : 2;
const BIG_STEPS = FAULTS_SCALE === "full" ? 8 : 2;
/** A JSON string of this many ASCII letters is 1 KiB under the step result limit. */
const BIG_CHARS = MAX_STEP_RESULT_BYTES - 1_024;

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;

beforeAll(async () => {
  kiln = await startKiln({ executors: 0 });
  acme = await kiln.tenant("acme");
  const deployed = await acme.deploy(WORKFLOW, await fixture("kitchen-sink.ts"));
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
  nc = await kiln.nats.connect();
});

afterAll(async () => {
  await kiln?.close();
});

/** Journal keys of the instance so far (steps, attempts, snapshot). */
async function journalKeys(id: string): Promise<number> {
  const journal = await new Kvm(nc).open(Buckets.journal);
  let count = 0;
  for await (const key of await journal.keys(`${Keys.journalPrefix({ tenant: "acme", workflow: WORKFLOW, instance: id }, 0)}.>`)) if (key) count++;
  return count;
}

/**
 * Runs `id` on an executor that is SIGKILLed once `killAt` journal keys exist, then on a fresh one;
 * returns the finished view, the keys at the kill and the finishing activation's stats.
 */
async function runThroughKill(id: string, params: unknown, killAt: number) {
  const ends: LifecycleEvent[] = [];
  const events = nc.subscribe(Subjects.eventsOfTenant("acme"), {
    callback: (error, message) => {
      const event = message.json<LifecycleEvent>();
      if (!error && event.instance === id && event.activation) ends.push(event);
    },
  });
  await nc.flush();
  let survivor: ServiceProcess | undefined;
  try {
    // The only executor while it runs: the instance must be on the one that dies.
    const doomed = await kiln.spawnExecutor();
    await acme.create(WORKFLOW, { id, params });
    await eventually(`${id} records ${killAt} journal entries`, async () => (await journalKeys(id)) >= killAt, 120_000, 50);
    await doomed.kill();
    const atKill = await journalKeys(id);
    const view = await acme.get(WORKFLOW, id);
    expect(view.status, `${id} finished before the kill: the test proves nothing`).not.toBe("complete");
    survivor = await kiln.spawnExecutor();
    const finished = await acme.waitFor(WORKFLOW, id, isFinished, 180_000);
    await eventually(`${id}'s last activation reports`, async () => ends.some((event) => event.kind === "complete"));
    return { finished, atKill, last: ends.find((event) => event.kind === "complete")!.activation! };
  } finally {
    events.unsubscribe();
    await survivor?.stop();
  }
}

it(`replays a ${MANY_STEPS}-step journal after the executor running it is SIGKILLed`, async () => {
  const { finished, atKill, last } = await runThroughKill("many", { scenario: "many-steps", count: MANY_STEPS, spinMs: SPIN_MS }, MANY_STEPS / 3);
  console.log(`big journal: ${MANY_STEPS} steps; killed with ${atKill} journal keys; the finishing activation replayed ${last.replayed} in ${last.ms} ms`);
  expect(finished).toMatchObject({ status: "complete", output: { sum: (MANY_STEPS * (MANY_STEPS + 1)) / 2 } });
  expect(last.replayed).toBeGreaterThanOrEqual(atKill - 1);
  expect(last.replayed + last.committed).toBe(MANY_STEPS);
  const records = (await journalStepRecords(nc, "acme", WORKFLOW, ["many"])).get("many")!;
  expect(records.length).toBe(MANY_STEPS);
  expect(new Set(records)).toEqual(new Set(Array.from({ length: MANY_STEPS }, (_, i) => `s#${i + 1}`)));
}, 300_000);

it(`replays ${BIG_STEPS} step results of ${BIG_CHARS} characters after the executor running them is SIGKILLed`, async () => {
  const { finished, atKill, last } = await runThroughKill("big", { scenario: "big-payloads", count: BIG_STEPS, chars: BIG_CHARS }, BIG_STEPS / 2);
  console.log(`big payloads: killed with ${atKill} journal keys; the finishing activation replayed ${last.replayed}`);
  expect(finished).toMatchObject({ status: "complete", output: { lengths: Array(BIG_STEPS).fill(BIG_CHARS), intact: true } });
  expect(last.replayed).toBeGreaterThan(0);
  const records = (await journalStepRecords(nc, "acme", WORKFLOW, ["big"])).get("big")!;
  expect(records).toEqual(Array.from({ length: BIG_STEPS }, (_, i) => `big ${i}#1`));
}, 300_000);
