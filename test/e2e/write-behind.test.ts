/**
 * A step's commit is answered as its journal write leaves, and the write finishes behind the guest
 * (executor/engine-host.ts `commit`). When that write fails after the guest went on, the sandbox is
 * stopped, nothing after the step is recorded, and the instance goes on from what the journal holds.
 * The failure is made real: while step 1's body runs, the test writes step 1's journal record itself,
 * as another executor that committed it first would, so the executor's own write is refused.
 */
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Buckets, Keys, stepKey, type StepRecord } from "../../contract/mod.ts";
import { encodeJson } from "../../infra/json-codec.ts";
import { eventually } from "../helpers/eventually.ts";
import { journalStepRecords } from "../helpers/journal.ts";
import { isFinished, startKilnWithKitchenSink, type TenantClient, type TestExecutor, type TestKiln } from "../helpers/kiln.ts";
import { sampleValue } from "../helpers/prometheus-sample.ts";

let kiln: TestKiln;
let acme: TenantClient;
let executor: TestExecutor;
let nc: NatsConnection;

beforeAll(async () => {
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 0 }));
  executor = await kiln.startExecutor({ KILN_EXECUTOR_PORT: "0" });
  nc = await kiln.nats.connect();
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await kiln?.close();
});

const JOURNAL_KILLS = 'kiln_sandbox_kills_total{reason="journal"}';

async function journalKills(): Promise<number> {
  return sampleValue(await (await fetch(`${executor.url}/metrics`)).text(), JOURNAL_KILLS);
}

it("stops the guest when a commit's journal write fails after it was answered, and goes on from the journal", async () => {
  const killsBefore = await journalKills();
  // Each body spins 3 s: time to see step 1's body start and write its record before the executor does.
  const { id } = await acme.create("sink", { params: { scenario: "steps", count: 3, spinMs: 3_000 } });
  await eventually("step 1's body starts", async () => (await acme.logs("sink", id)).some((line) => line.message === "body:step 1"));

  const key = stepKey("step 1", 1);
  const now = Date.now();
  const committedElsewhere: StepRecord = { kind: "do", status: "ok", seq: 0, name: "step 1", key, result: 100, attempts: 1, startedAt: now, completedAt: now };
  const journal = await new Kvm(nc).open(Buckets.journal);
  await journal.create(Keys.journalStep({ tenant: "acme", workflow: "sink", instance: id }, 0, key), encodeJson(committedElsewhere));

  const done = await acme.waitFor("sink", id, isFinished, 60_000);
  // Step 1's result is the one in the journal (100, not its body's 2); steps 2 and 3 ran after it.
  expect(done).toMatchObject({ status: "complete", output: { sum: 100 + 4 + 6 } });
  expect((await journalStepRecords(nc, "acme", "sink", [id])).get(id)).toEqual(["step 1#1", "step 2#1", "step 3#1"]);
  expect(await journalKills()).toBe(killsBefore + 1);
}, 120_000);
