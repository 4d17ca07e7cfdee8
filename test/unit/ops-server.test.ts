/** The executor's ops endpoints, through `app.request` (the e2e scrapes a real executor). */
import { expect, it } from "vitest";
import { ExecutorMetrics } from "../../executor/metrics.ts";
import { createOpsApp } from "../../executor/ops-server.ts";

const metrics = () =>
  new ExecutorMetrics({ runningByTenant: () => new Map([["acme", 2]]), idleSandboxes: () => 1, queueDepths: async () => new Map([["acme", 7]]) });

it("answers /readyz 503 with the reasons while the executor cannot take work, 200 once it can", async () => {
  let reasons = ["NATS is not connected"];
  const app = createOpsApp(metrics(), { notReady: () => reasons });
  const down = await app.request("/readyz");
  expect(down.status).toBe(503);
  expect(await down.json()).toEqual({ status: "not ready", reasons: ["NATS is not connected"] });
  reasons = [];
  expect((await app.request("/readyz")).status).toBe(200);
  expect((await app.request("/healthz")).status).toBe(200);
});

it("serves per-tenant running activations and queue depth as sampled at scrape time", async () => {
  const text = await (await createOpsApp(metrics(), { notReady: () => [] }).request("/metrics")).text();
  expect(text).toContain('kiln_tenant_activations_running{tenant="acme"} 2');
  expect(text).toContain('kiln_tenant_queue_depth{tenant="acme"} 7');
  expect(text).toContain("kiln_activations_in_flight 2");
  expect(text).toContain("kiln_sandboxes_idle 1");
});
