/**
 * Tenants take turns on an executor: one tenant's backlog does not queue another tenant's new
 * instance behind it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Subjects } from "../../contract/mod.ts";
import { startKilnWithKitchenSink, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;
let source: string;

beforeAll(async () => {
  ({ kiln, acme, source } = await startKilnWithKitchenSink({ executorEnv: { KILN_EXECUTOR_CONCURRENCY: "2" } }));
});

afterAll(async () => {
  await kiln?.close();
});

it("runs a quiet tenant's new instance while a noisy tenant's backlog waits", async () => {
  const noisy = await kiln.tenant("noisy");
  expect((await noisy.deploy("sink", source)).status).toBe(201);
  const nc = await kiln.nats.connect();
  let noisyFinished = 0;
  nc.subscribe(Subjects.eventsOfTenant("noisy"), { callback: (_error, message) => void (message.subject.endsWith(".complete") && noisyFinished++) });

  // 200 instances of ~30 ms of work each on two slots: seconds of backlog.
  const backlog = 200;
  for (let start = 0; start < backlog; start += 100) {
    const batch = Array.from({ length: 100 }, (_, i) => ({ id: `noisy-${start + i}`, params: { scenario: "steps", count: 1, spinMs: 30 } }));
    expect((await noisy.api("POST", "/v1/tenants/noisy/workflows/sink/instances/batch", batch)).status).toBe(201);
  }
  const { id } = await acme.create("sink", { params: { scenario: "steps", count: 1 } });
  const view = await acme.waitFor("sink", id, (v) => v.status === "complete");
  expect(view.status).toBe("complete");
  // First come, first served would have run the whole backlog first.
  expect(noisyFinished).toBeLessThan(backlog / 2);
});
