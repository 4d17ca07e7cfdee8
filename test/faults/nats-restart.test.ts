/**
 * NATS SIGKILLed and restarted mid-run (file storage, README "Durable semantics", guarantees 1 and 3):
 * every instance still completes with the right output and one journal record per step; the gateway
 * and the executors (one in this process, one a child process) reconnect by themselves; while NATS
 * is down the gateway answers 503 with retry advice and `/readyz` says not ready. Events sent during
 * the outage are retried on that advice until accepted, and none is lost.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { FAULTS_SCALE, sendAccepted } from "../helpers/faults.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const INSTANCES = FAULTS_SCALE === "full" ? 100 : 20;
/** Long enough to see the outage from outside; a buffered request times out meanwhile. */
const DOWN_MS = 4_000;
const WORKFLOW = "faults";
const STEPS = ["a#1", "b#1", "c#1", "go#1", "nap#1"];

let kiln: TestKiln;
let acme: TenantClient;

beforeAll(async () => {
  kiln = await startKiln({ executors: 1, executorEnv: { KILN_HOLD_MS: "100" } });
  acme = await kiln.tenant("acme");
  const deployed = await acme.deploy(WORKFLOW, await fixture("kitchen-sink.ts"));
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
});

afterAll(async () => {
  await kiln?.close();
});

it("completes every instance across a NATS SIGKILL and restart, answering 503 with advice meanwhile", async () => {
  await kiln.spawnExecutor({ KILN_HOLD_MS: "100" });
  const ids = Array.from({ length: INSTANCES }, (_, i) => `nats-${i}`);
  const created = await acme.api(
    "POST",
    `/v1/tenants/acme/workflows/${WORKFLOW}/instances/batch`,
    ids.map((id, i) => ({ id, params: { scenario: "chaos", sleep: 300 + 100 * (i % 20) } })),
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const eventPath = (i: number) => `/v1/tenants/acme/workflows/${WORKFLOW}/instances/nats-${i}/events/go`;
  // Half the events before the outage; the other half during and after it.
  for (let i = 0; i < INSTANCES / 2; i++) await sendAccepted(acme.api, eventPath(i), { n: i });
  expect((await kiln.send({ method: "GET", path: "/readyz" })).status).toBe(200);

  const restarted = kiln.nats.restart({ kill: true, downMs: DOWN_MS });
  try {
    await eventually("/readyz reports not ready", async () => (await kiln.send({ method: "GET", path: "/readyz" })).status === 503, DOWN_MS, 20);
    const readyz = await kiln.send({ method: "GET", path: "/readyz" });
    expect(readyz.body).toMatchObject({ status: "not ready", retryAfterMs: expect.any(Number) });
    const during = await acme.api("GET", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/nats-0`);
    expect(during.status).toBe(503);
    expect(during.body.error).toMatchObject({ code: "unavailable", retryAfterMs: expect.any(Number) });
    const sendingRest = (async () => {
      for (let i = INSTANCES / 2; i < INSTANCES; i++) await sendAccepted(acme.api, eventPath(i), { n: i });
    })();
    await restarted;
    await sendingRest;
  } finally {
    await restarted.catch(() => undefined);
  }
  await eventually("/readyz reports ready again", async () => (await kiln.send({ method: "GET", path: "/readyz" })).status === 200);

  const problems: string[] = [];
  for (const [i, id] of ids.entries()) {
    const view = await acme.waitFor(WORKFLOW, id, isFinished, 180_000);
    const wanted = { instanceId: id, a: 1, b: 3, c: 3 + i };
    if (view.status !== "complete" || JSON.stringify(view.output) !== JSON.stringify(wanted))
      problems.push(`${id}: ${view.status} ${JSON.stringify(view.output)}`);
  }
  const records = await journalStepRecords(await kiln.nats.connect(), "acme", WORKFLOW, ids);
  for (const id of ids) if (JSON.stringify(records.get(id)) !== JSON.stringify(STEPS)) problems.push(`${id}: journal [${records.get(id)?.join(", ")}]`);
  expect(problems).toEqual([]);
}, 300_000);
