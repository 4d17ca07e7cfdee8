/**
 * The gateway SIGKILLed during resumes and restarts (README "Durable semantics", guarantee 3): an
 * accepted resume or restart is never lost, and no instance is left `queued` with nothing to run
 * it. Each queues its message before it changes the record (contract/lifecycle-order.ts), so a kill
 * may leave a message whose change is not written yet — which the executor that takes it applies —
 * never a changed record without its message.
 *
 * The instances are created and paused with no executor running; then a gateway that is killed
 * after a seeded number of writes (work messages, record changes) gets a resume for half of them
 * and a restart for the other half, all at once. The stream and the records are compared while no
 * executor runs; then an executor runs every instance whose change went out to the end, with no
 * request resent, and the rest stay paused until they are resumed.
 */
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Buckets, Keys, Subjects, type Envelope, type InstanceRecord } from "../../contract/mod.ts";
import { FAULTS_SCALE, faultsSeed, killAfterWrites, queuedWork, seeded, startFaultsKiln } from "../helpers/faults.ts";
import { isFinished, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

const INSTANCES = FAULTS_SCALE === "full" ? 600 : 200;
const WORKFLOW = "lifecycle";
const ids = Array.from({ length: INSTANCES }, (_, i) => `paused-${i}`);
/** Even instances get a resume, odd ones a restart. */
const actionOf = (i: number) => (i % 2 === 0 ? "resume" : "restart");
/** The generation each instance runs at once its change applied. */
const changedGeneration = (i: number) => (actionOf(i) === "restart" ? 1 : 0);

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
const seed = faultsSeed();
/** Per instance after the kill: the record, and the resume or restart messages queued for it. */
const records = new Map<string, InstanceRecord>();
const changes = new Map<string, Envelope[]>();
/** Instances whose resume or restart the killed gateway answered 200. */
const accepted = new Set<string>();

const readRecord = async (id: string): Promise<InstanceRecord> => {
  const entry = await (await new Kvm(nc).open(Buckets.instances)).get(Keys.instance({ tenant: "acme", workflow: WORKFLOW, instance: id }));
  return entry!.json<InstanceRecord>();
};

const isChanged = (i: number) => {
  const record = records.get(ids[i]!)!;
  return record.status !== "paused" || record.generation !== 0;
};

beforeAll(async () => {
  ({ kiln, acme } = await startFaultsKiln(WORKFLOW));
  for (let b = 0; b < INSTANCES; b += 100) {
    const batch = ids.slice(b, b + 100).map((id) => ({ id, params: { scenario: "many-steps", count: 3 } }));
    const created = await acme.api("POST", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/batch`, batch);
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
  }
  // Not running (no executor yet), so each is paused at once.
  for (const id of ids) {
    const paused = await acme.api("POST", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/${id}/pause`);
    expect(paused.body.status, JSON.stringify(paused.body)).toBe("paused");
  }
  nc = await kiln.nats.connect();

  // Each request writes a message and a record change: kill somewhere in the first three quarters.
  const killAfter = 1 + Math.floor(seeded(seed)() * INSTANCES * 1.5);
  const gateway = await kiln.spawnGateway();
  const trigger = await killAfterWrites(nc, [Subjects.work("acme", WORKFLOW), `$KV.${Buckets.instances}.acme.${WORKFLOW}.>`], killAfter, gateway);
  const api = kiln.api(acme.token, gateway.url);
  await Promise.all(
    ids.map((id, i) =>
      api("POST", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/${id}/${actionOf(i)}`, {}).then(
        (answer) => void (answer.status === 200 && accepted.add(id)),
        () => undefined,
      ),
    ),
  );
  await trigger.stop();
  expect(trigger.killed, `every request was answered before ${killAfter} writes`).toBeDefined();
  await trigger.killed;

  for (const id of ids) records.set(id, await readRecord(id));
  for (const { envelope } of await queuedWork(nc, "acme", WORKFLOW)) {
    if (envelope.reason === "resume" || envelope.reason === "restart") changes.set(envelope.instance, [...(changes.get(envelope.instance) ?? []), envelope]);
  }
  const written = ids.filter((_, i) => isChanged(i)).length;
  console.log(
    `gateway lifecycle kill: seed ${seed} (KILN_FAULTS_SEED=${seed}); SIGKILL after ${killAfter} of ${2 * INSTANCES} writes; ` +
      `${accepted.size} answered 200, ${changes.size} messages, ${written} records changed, ` +
      `${changes.size - written} changes left to the executor`,
  );
});

afterAll(async () => {
  await kiln?.close();
});

it("leaves no changed record without the message that runs it, and loses no accepted change", () => {
  expect(changes.size, "no message went out: the kill proves nothing").toBeGreaterThan(0);
  const stranded = ids.filter((id, i) => isChanged(i) && !changes.has(id));
  expect(stranded, `seed ${seed}: records changed with no message to run them`).toEqual([]);
  const lost = ids.filter((id, i) => accepted.has(id) && !isChanged(i));
  expect(lost, `seed ${seed}: changes answered 200 but not written`).toEqual([]);
  for (const [id, queued] of changes) {
    const i = ids.indexOf(id);
    expect(
      queued.map((envelope) => envelope.reason),
      `${id}: one message, of its own request`,
    ).toEqual([actionOf(i)]);
    const { change } = queued[0]!;
    expect(change?.fromRevision, `${id}: the message names the revision it was decided from`).toBeGreaterThan(0);
    if (actionOf(i) === "restart") expect(change).toMatchObject({ generation: 1, keptSteps: 0 });
  }
});

it("runs every instance whose change went out to the end without the request being sent again; the others stay paused until resumed", async () => {
  await kiln.startExecutor();
  for (const id of changes.keys()) {
    const i = ids.indexOf(id);
    const view = await acme.waitFor(WORKFLOW, id, isFinished, 120_000);
    expect(view, `seed ${seed}: ${id}`).toMatchObject({ status: "complete", output: { sum: 6 } });
    expect((await readRecord(id)).generation, `seed ${seed}: ${id} restarted once or not at all`).toBe(changedGeneration(i));
  }
  const untouched = ids.filter((id) => !changes.has(id));
  for (const id of untouched) {
    const view = await acme.api("GET", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/${id}`);
    expect(view.body, `seed ${seed}: ${id}, whose change never went out`).toMatchObject({ status: "paused" });
    expect((await acme.api("POST", `/v1/tenants/acme/workflows/${WORKFLOW}/instances/${id}/resume`)).status).toBe(200);
  }
  for (const id of untouched) {
    expect(await acme.waitFor(WORKFLOW, id, isFinished, 120_000), id).toMatchObject({ status: "complete", output: { sum: 6 } });
    expect((await readRecord(id)).generation, id).toBe(0);
  }
}, 300_000);
