/**
 * The gateway SIGKILLed during batch creates (README "Durable semantics", guarantee 3): what it
 * leaves behind must be whole. No executor runs while the batches go in, so the work stream still
 * holds every start message when the test compares it with the instance records: each message must
 * have its record and each record its message; once an executor starts, every record runs to the end.
 *
 * Known gap, so that half runs only under `npm run test:faults`, where it fails until fixed: a
 * gateway killed between writing an instance's record and queueing its start leaves the record
 * `queued` with no message (see README, "Known gaps").
 */
import { Kvm } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Buckets, decodeEnvelope, Streams, Subjects } from "../../contract/mod.ts";
import { FAULTS_SCALE, faultsSeed, seeded } from "../helpers/faults.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

/** Instances, sent as batches of 100 (the most one holds), all in flight at once. */
const INSTANCES = FAULTS_SCALE === "full" ? 1_000 : 300;
const WORKFLOW = "faults";

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;
const seed = faultsSeed();
/** Ids with an instance record, and ids with a start message, after the kill. */
const recorded = new Set<string>();
const queued = new Set<string>();

beforeAll(async () => {
  kiln = await startKiln({ executors: 0 });
  acme = await kiln.tenant("acme");
  const deployed = await acme.deploy(WORKFLOW, await fixture("kitchen-sink.ts"));
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
  expect((await kiln.adminApi("PUT", "/v1/tenants/acme/settings", { limits: { createsPerSecond: 100_000 } })).status).toBe(200);
  nc = await kiln.nats.connect();

  // Kill once this many start messages are out: somewhere in the first half.
  const killAfter = 1 + Math.floor(seeded(seed)() * (INSTANCES / 2));
  const gateway = await kiln.spawnGateway();
  let published = 0;
  let killed: Promise<void> | undefined;
  const watch = nc.subscribe(Subjects.work("acme", WORKFLOW), {
    callback: () => {
      if (++published === killAfter) killed = gateway.kill();
    },
  });
  await nc.flush();
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
  expect(killed, `the batches ${answers.join(", ")} before ${killAfter} start messages went out`).toBeDefined();
  await killed;
  watch.unsubscribe();

  const instances = await new Kvm(nc).open(Buckets.instances);
  for await (const key of await instances.keys(`acme.${WORKFLOW}.>`)) recorded.add(key.split(".").at(-1)!);
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(Streams.work);
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(Streams.work, { seq }).catch(() => undefined);
    if (message?.subject === Subjects.work("acme", WORKFLOW)) queued.add(decodeEnvelope(message.data).instance);
  }
  console.log(
    `gateway kill: seed ${seed} (KILN_FAULTS_SEED=${seed}); SIGKILL after ${killAfter} of ${INSTANCES} start messages; ` +
      `the batches ${answers.join(", ")}; ${recorded.size} records, ${queued.size} start messages`,
  );
});

afterAll(async () => {
  await kiln?.close();
});

it(`leaves no work message without its record, and runs every queued instance to the end, when the gateway dies mid-batch`, async () => {
  expect(queued.size, "no start message went out: the kill proves nothing").toBeGreaterThan(0);
  expect(
    [...queued].filter((id) => !recorded.has(id)),
    `seed ${seed}: start messages without a record`,
  ).toEqual([]);
  await kiln.startExecutor();
  for (const id of queued) {
    const view = await acme.waitFor(WORKFLOW, id, isFinished, 120_000);
    expect(view, id).toMatchObject({ status: "complete", output: { sum: 6 } });
  }
}, 300_000);

it.skipIf(FAULTS_SCALE !== "full")("leaves no instance record without its work message (known gap: fails until fixed)", () => {
  const stranded = [...recorded].filter((id) => !queued.has(id));
  expect(stranded, `seed ${seed}: ${stranded.length} records stay queued with no start message to run them`).toEqual([]);
});
