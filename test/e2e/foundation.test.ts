/**
 * The walking skeleton, end to end on real processes: deploy over HTTP, compile a real component,
 * run instances on real executors against a private nats-server, and survive an executor crash.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isFinished, startKilnWithKitchenSink, type TenantClient, type TestKiln } from "../helpers/kiln.ts";
import { bodyRuns, expectSharedWork } from "../helpers/shared-work.ts";

let kiln: TestKiln;
let acme: TenantClient;
let source: string;

beforeAll(async () => {
  ({ kiln, acme, source } = await startKilnWithKitchenSink({ executors: 0 }));
});

afterAll(async () => {
  await kiln?.close();
});

describe("deploy", () => {
  it("answers an identical redeploy with the same version without compiling again", async () => {
    const first = await acme.api("GET", "/v1/tenants/acme/workflows/sink");
    const started = performance.now();
    const again = await acme.deploy("sink", source);
    const elapsedMs = performance.now() - started;
    expect(again.status).toBe(201);
    expect(again.body.version).toBe(first.body.latestVersion);
    expect(again.body.unchanged).toBe(true);
    // A compile takes seconds; a hash and two KV reads do not.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("points syntax errors at the tenant's own line and column", async () => {
    const response = await acme.deploy("broken", "export class A {\n  run( {\n}\n");
    expect(response.status).toBe(422);
    expect(response.body.errors[0]).toMatchObject({ file: "index.ts", line: expect.any(Number), column: expect.any(Number) });
    expect(response.body.errors[0].line).toBeGreaterThanOrEqual(2);
  });

  it("refuses imports outside the world, naming them", async () => {
    const response = await acme.deploy("sneaky", 'import { readFileSync } from "node:fs";\nimport x from "lodash";\nexport const a = [readFileSync, x];\n');
    expect(response.status).toBe(422);
    const messages = response.body.errors.map((error: { message: string }) => error.message).join("\n");
    expect(messages).toContain("node:fs");
    expect(messages).toContain("lodash");
    expect(response.body.errors[0]).toMatchObject({ file: "index.ts", line: 1 });
  });

  it("refuses unknown content types and bad names with 4xx", async () => {
    expect((await acme.deploy("sink", "x", "image/png")).status).toBe(415);
    expect((await acme.deploy("Bad_Name", source)).status).toBe(400);
    expect((await acme.api("POST", "/v1/tenants/acme/workflows/sink/instances", { id: "no spaces allowed" })).status).toBe(400);
    expect((await acme.api("POST", "/v1/tenants/acme/workflows/nope/instances", {})).status).toBe(404);
  });
});

describe("tenancy", () => {
  it("hides other tenants behind 404 and rejects missing tokens with 401", async () => {
    const globex = await kiln.tenant("globex");
    expect((await globex.api("GET", "/v1/tenants/acme/workflows")).status).toBe(404);
    expect((await globex.api("GET", "/v1/tenants/initech/workflows")).status).toBe(404);
    expect((await globex.api("POST", "/v1/tenants", { id: "mine" })).status).toBe(404);
    const anonymous = await fetch(`${kiln.gateway.url}/v1/tenants/acme/workflows`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe("unauthorized");
  });
});

describe("instances", () => {
  it("runs a 3-step workflow to completion and records every step", async () => {
    const executor = await kiln.startExecutor();
    try {
      const { id, version } = await acme.create("sink", { id: "three", params: { scenario: "steps", count: 3 } });
      expect(id).toBe("three");
      const view = await acme.waitFor("sink", id, isFinished);
      expect(view).toMatchObject({ id, workflow: "sink", version, status: "complete", output: { sum: 12, instanceId: "three" } });
      expect(view.steps.map((s: { name: string; status: string; attempts: number }) => [s.name, s.status, s.attempts])).toEqual([
        ["step 1", "complete", 1],
        ["step 2", "complete", 1],
        ["step 3", "complete", 1],
      ]);
      expect(view.steps[0].output).toBe(2);
      const duplicate = await acme.api("POST", "/v1/tenants/acme/workflows/sink/instances", { id: "three" });
      expect(duplicate.status).toBe(409);
    } finally {
      await executor.close();
      kiln.executors.splice(kiln.executors.indexOf(executor), 1);
    }
  });

  it("keeps instance ids unique per workflow: one id names an instance of each workflow", async () => {
    expect((await acme.deploy("sink-twin", source)).status).toBe(201);
    const executor = await kiln.startExecutor();
    try {
      await acme.create("sink", { id: "order-42", params: { scenario: "steps", count: 1 } });
      await acme.create("sink-twin", { id: "order-42", params: { scenario: "steps", count: 2 } });
      const [first, twin] = await Promise.all([acme.waitFor("sink", "order-42", isFinished), acme.waitFor("sink-twin", "order-42", isFinished)]);
      expect(first).toMatchObject({ workflow: "sink", status: "complete", output: { sum: 2 } });
      expect(twin).toMatchObject({ workflow: "sink-twin", status: "complete", output: { sum: 6 } });
      expect(first.steps).toHaveLength(1);
      expect(twin.steps).toHaveLength(2);
      // Each workflow lists its own, and a lifecycle call reaches only the one it names.
      const listed = await acme.api("GET", "/v1/tenants/acme/workflows/sink-twin/instances");
      expect(listed.body.instances.map((instance: { id: string }) => instance.id)).toEqual(["order-42"]);
      expect((await acme.api("POST", "/v1/tenants/acme/workflows/sink-twin/instances/order-42/restart")).status).toBe(200);
      await acme.waitFor("sink-twin", "order-42", isFinished);
      expect((await acme.get("sink", "order-42")).status).toBe("complete");
    } finally {
      await executor.close();
      kiln.executors.splice(kiln.executors.indexOf(executor), 1);
    }
  });

  it("publishes lifecycle events on the tenant's subject for operators", async () => {
    const nc = await kiln.nats.connect();
    const kinds: string[] = [];
    const subscription = nc.subscribe("kiln.events.acme.sink.watched.>", { callback: (_, message) => void kinds.push(message.subject.split(".").at(-1)!) });
    await nc.flush();
    const executor = await kiln.startExecutor();
    try {
      await acme.create("sink", { id: "watched", params: { scenario: "steps", count: 1 } });
      await acme.waitFor("sink", "watched", isFinished);
      // The event follows the record update, so it may land just after the status shows complete.
      await vi.waitFor(() => expect(kinds).toEqual(["running", "complete"]), { timeout: 5_000 });
    } finally {
      subscription.unsubscribe();
      await executor.close();
      kiln.executors.splice(kiln.executors.indexOf(executor), 1);
    }
  });

  it("errors with the tenant's error and a stack that points into the tenant's source", async () => {
    const executor = await kiln.startExecutor();
    try {
      const { id } = await acme.create("sink", { params: { scenario: "fail" } });
      const view = await acme.waitFor("sink", id, isFinished);
      expect(view.status).toBe("errored");
      expect(view.error).toMatchObject({ name: "NonRetryableError", message: "the account is closed" });
      expect(view.error.stack).toMatch(/index\.ts:\d+:\d+/);
      expect(view.steps[0]).toMatchObject({ name: "doomed", status: "failed", attempts: 1 });
    } finally {
      await executor.close();
      kiln.executors.splice(kiln.executors.indexOf(executor), 1);
    }
  });

  it("resumes after an executor crash without re-running completed step bodies", async () => {
    const doomed = await kiln.spawnExecutor();
    const { id } = await acme.create("sink", { params: { scenario: "steps", count: 3, spinMs: 1500 } });
    await acme.waitFor("sink", id, (view) => view.steps.length >= 1 && view.steps[0].status === "complete");
    await doomed.kill();
    const survivor = await kiln.startExecutor();
    try {
      const view = await acme.waitFor("sink", id, isFinished, 90_000);
      expect(view.status).toBe("complete");
      expect(view.output.sum).toBe(12);
      const lines = await acme.logs("sink", id);
      expect(bodyRuns(lines, "step 1")).toBe(1);
      // Step 2 may have been cut off mid-body by the crash: at least once, never more than twice.
      expect(bodyRuns(lines, "step 2")).toBeGreaterThanOrEqual(1);
      expect(bodyRuns(lines, "step 2")).toBeLessThanOrEqual(2);
      expect(bodyRuns(lines, "step 3")).toBe(1);
    } finally {
      await survivor.close();
      kiln.executors.splice(kiln.executors.indexOf(survivor), 1);
    }
  });

  it("shares work between two executors and never runs one instance twice at once", async () => {
    const first = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" });
    const second = await kiln.startExecutor({ KILN_EXECUTOR_CONCURRENCY: "4" });
    try {
      await expectSharedWork(kiln, acme, [first, second], "shared", 24);
    } finally {
      await Promise.all([first.close(), second.close()]);
      kiln.executors.splice(0);
    }
  });
});
