/**
 * The gateway SIGKILLed during batch creates (README "Durable semantics", guarantee 3): what it
 * leaves behind must be whole. A create queues its start before it writes the record
 * (contract/create-order.ts), so a kill may leave a start without its record, never a record
 * without its start. No executor runs while the batches go in, so the work stream still holds every
 * start when the test compares it with the records; then an executor runs every recorded instance
 * to the end and discards every start without its record, running nothing and writing nothing for
 * it, and every quota slot of a start comes back.
 */
import { Kvm } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Buckets, Keys, ORPHAN_START_GRACE_MS, Streams, Subjects, type InstanceRecord, type QuotaRecord } from "../../contract/mod.ts";
import { eventually } from "../helpers/eventually.ts";
import { FAULTS_SCALE, faultsSeed, killAfterWrites, queuedWork, seeded, startFaultsKiln } from "../helpers/faults.ts";
import { isFinished, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

/** Instances, sent as batches of 100 (the most one holds), all in flight at once. */
const INSTANCES = FAULTS_SCALE === "full" ? 1_000 : 300;
const WORKFLOW = "faults";

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
const seed = faultsSeed();
/** Instance records after the kill: id → createdAt. */
const recorded = new Map<string, number>();
/** Start messages after the kill: id → stream sequence and the createdAt it starts. */
const queued = new Map<string, { seq: number; createdAt: number | undefined }>();
let starts = 0;

const readQuota = async (): Promise<QuotaRecord> => {
  const entry = await (await new Kvm(nc).open(Buckets.quotas)).get(Keys.quota("acme"));
  return entry!.json<QuotaRecord>();
};

beforeAll(async () => {
  ({ kiln, acme } = await startFaultsKiln(WORKFLOW));
  nc = await kiln.nats.connect();

  // Kill once this many writes of the creates (start messages and instance records) are stored:
  // somewhere in the first three quarters. The starts run ahead (a record waits for its start and
  // its index entry), so the kill lands before any record as well as between them.
  const killAfter = 1 + Math.floor(seeded(seed)() * INSTANCES * 1.5);
  const gateway = await kiln.spawnGateway();
  const trigger = await killAfterWrites(nc, [Subjects.work("acme", WORKFLOW), `$KV.${Buckets.instances}.acme.${WORKFLOW}.>`], killAfter, gateway);
  const ids = Array.from({ length: INSTANCES }, (_, i) => `batch-${i}`);
  const api = kiln.api(acme.token, gateway.url);
  const answers = await Promise.all(
    Array.from({ length: INSTANCES / 100 }, (_, b) =>
      api(
        "POST",
        `/v1/tenants/acme/workflows/${WORKFLOW}/instances/batch`,
        ids.slice(b * 100, b * 100 + 100).map((id) => ({ id, params: { scenario: "many-steps", count: 3 } })),
      ).then(
        (response) => `answered ${response.status}`,
        (error: unknown) => `failed (${(error as Error).message})`,
      ),
    ),
  );
  // Every write has reached the counter once the flush is back (a lagging counter may kill after the answers).
  await trigger.stop();
  expect(trigger.killed, `the batches ${answers.join(", ")} before ${killAfter} writes`).toBeDefined();
  await trigger.killed;

  const instances = await new Kvm(nc).open(Buckets.instances);
  for await (const key of await instances.keys(`acme.${WORKFLOW}.>`)) {
    const entry = await instances.get(key);
    recorded.set(key.split(".").at(-1)!, entry!.json<InstanceRecord>().createdAt);
  }
  for (const { seq, envelope } of await queuedWork(nc, "acme", WORKFLOW)) {
    starts++;
    queued.set(envelope.instance, { seq, createdAt: envelope.createdAt });
  }
  console.log(
    `gateway kill: seed ${seed} (KILN_FAULTS_SEED=${seed}); SIGKILL after ${killAfter} of ${2 * INSTANCES} writes (starts and records); ` +
      `the batches ${answers.join(", ")}; ${recorded.size} records, ${starts} start messages, ` +
      `${[...queued.keys()].filter((id) => !recorded.has(id)).length} of them without a record`,
  );
});

afterAll(async () => {
  await kiln?.close();
});

it("leaves no instance record without its start message, whatever moment the gateway dies at", () => {
  expect(queued.size, "no start message went out: the kill proves nothing").toBeGreaterThan(0);
  expect(starts, "one start message per instance").toBe(queued.size);
  const stranded = [...recorded.keys()].filter((id) => !queued.has(id));
  expect(stranded, `seed ${seed}: records with no start message to run them`).toEqual([]);
  const foreign = [...recorded].filter(([id, createdAt]) => queued.get(id)?.createdAt !== createdAt).map(([id]) => id);
  expect(foreign, `seed ${seed}: records whose start message is another create's`).toEqual([]);
});

it("lists exactly the instances that have a record: no ghost of a create that wrote its index entry and died", async () => {
  const listed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await acme.api("GET", `/v1/tenants/acme/workflows/${WORKFLOW}/instances?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    listed.push(...page.body.instances.map((instance: { id: string }) => instance.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  expect(listed.length, "no instance listed twice").toBe(new Set(listed).size);
  expect(new Set(listed)).toEqual(new Set(recorded.keys()));
});

it(
  "runs every recorded instance to the end, discards every start without its record without running it, and gives every start's slot back",
  async () => {
    const orphans = [...queued].filter(([id]) => !recorded.has(id));
    const seen = new Set<string>();
    const events = nc.subscribe(Subjects.eventsOfTenant("acme"), { callback: (_, message) => void seen.add(message.subject.split(".")[4]!) });
    await nc.flush();
    await kiln.startExecutor();
    for (const id of recorded.keys()) {
      const view = await acme.waitFor(WORKFLOW, id, isFinished, 120_000);
      expect(view, id).toMatchObject({ status: "complete", output: { sum: 6 } });
    }
    // Each orphan is removed from the stream once it is older than the grace period.
    const jsm = await jetstreamManager(nc);
    await eventually(
      `the ${orphans.length} starts without a record are discarded`,
      async () => {
        const left = await Promise.all(orphans.map(([, { seq }]) => jsm.streams.getMessage(Streams.work, { seq })));
        return left.every((message) => message === null);
      },
      ORPHAN_START_GRACE_MS + 60_000,
    );
    events.unsubscribe();
    const instances = await new Kvm(nc).open(Buckets.instances);
    for (const [id] of orphans) {
      expect(await instances.get(Keys.instance({ tenant: "acme", workflow: WORKFLOW, instance: id })), `seed ${seed}: ${id} has a record`).toBeNull();
      expect(seen.has(id), `seed ${seed}: ${id}, a start without its record, ran`).toBe(false);
    }
    // Completed instances and discarded starts each gave their slot back. What a kill between the
    // batch's reservation and its publishes took stays taken until the tenant is recounted.
    let quota = await readQuota();
    await eventually("every start's slot is back", async () => (quota = await readQuota()).released >= starts);
    expect(quota.released, `seed ${seed}: slots given back, one per start message`).toBe(starts);
    console.log(`gateway kill: seed ${seed}: ${quota.admitted - quota.released} slots reserved for starts that never went out (a recount gives them back)`);
  },
  300_000 + ORPHAN_START_GRACE_MS,
);
