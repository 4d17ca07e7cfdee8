/**
 * The executor's ops endpoints on a real executor: `/readyz` once it consumes, and `/metrics` moving
 * after an instance completes.
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { isFinished, startKilnWithKitchenSink, type TenantClient, type TestExecutor, type TestKiln } from "../helpers/kiln.ts";
import { sampleValue } from "../helpers/prometheus-sample.ts";

let kiln: TestKiln;
let acme: TenantClient;
let executor: TestExecutor;

beforeAll(async () => {
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 0 }));
  executor = await kiln.startExecutor({ KILN_EXECUTOR_PORT: "0" });
});

afterAll(async () => {
  await kiln?.close();
});

const scrape = async () => {
  const response = await fetch(`${executor.url}/metrics`);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
};

it("answers /healthz and /readyz once it consumes its tenants' work", async () => {
  expect(executor.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${executor.url}/healthz`)).status).toBe(200);
  // Ready once its tenants' consumers are pulling, which happens just after start-up returns.
  await vi.waitFor(
    async () => {
      const ready = await fetch(`${executor.url}/readyz`);
      expect(await ready.json()).toEqual({ status: "ready" });
      expect(ready.status).toBe(200);
    },
    { timeout: 10_000, interval: 100 },
  );
});

/**
 * The metrics once the finished instance is counted and its activation has left: the executor
 * counts the instance after its final write is answered and its slot is given back, and the
 * activation leaves after that, so a status GET may see the final record a moment before either.
 */
async function scrapeOnceCounted(before: string, outcome: "complete" | "errored"): Promise<string> {
  const series = `kiln_instances_finished_total{outcome="${outcome}"}`;
  let after = before;
  await expect
    .poll(async () => {
      after = await scrape();
      return { finished: sampleValue(after, series) - sampleValue(before, series), inFlight: sampleValue(after, "kiln_activations_in_flight") };
    })
    .toEqual({ finished: 1, inFlight: 0 });
  return after;
}

it("counts the activations, steps and latencies of an instance that completes", async () => {
  const before = await scrape();
  const { id } = await acme.create("sink", { id: "measured", params: { scenario: "steps", count: 3 } });
  expect((await acme.waitFor("sink", id, isFinished)).status).toBe("complete");
  const after = await scrapeOnceCounted(before, "complete");

  const moved = (series: string) => sampleValue(after, series) - sampleValue(before, series);
  expect(moved('kiln_activations_total{outcome="complete"}')).toBeGreaterThanOrEqual(1);
  expect(moved('kiln_instances_finished_total{outcome="complete"}')).toBe(1);
  expect(moved("kiln_steps_committed_total")).toBeGreaterThanOrEqual(3);
  expect(moved("kiln_activation_duration_seconds_count")).toBeGreaterThanOrEqual(1);
  expect(moved('kiln_step_duration_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(3);
  // Sampled at scrape time from the tenant's work consumer: nothing left to deliver.
  expect(after).toContain('kiln_tenant_queue_depth{tenant="acme"} 0');
  expect(after).toContain("kiln_activations_in_flight 0");
  // prom-client's default process metrics come along.
  expect(after).toMatch(/^process_cpu_seconds_total \d/m);
  expect(after).toContain("# TYPE kiln_sandbox_kills_total counter");
});

it("counts a sandbox killed for a step over its timeout, and the failed attempts' latency", async () => {
  const before = await scrape();
  const { id } = await acme.create("sink", { id: "stuck", params: { scenario: "timeout", timeout: "1 second" } });
  expect((await acme.waitFor("sink", id, isFinished)).status).toBe("errored");
  const after = await scrapeOnceCounted(before, "errored");
  const moved = (series: string) => sampleValue(after, series) - sampleValue(before, series);
  // Two attempts (retries.limit 1), each in its own activation, each ending in a killed sandbox.
  expect(moved('kiln_sandbox_kills_total{reason="step-limit"}')).toBe(2);
  expect(moved('kiln_step_duration_seconds_count{outcome="failed"}')).toBe(2);
  expect(moved('kiln_instances_finished_total{outcome="errored"}')).toBe(1);
});
