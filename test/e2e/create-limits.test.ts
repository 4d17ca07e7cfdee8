/**
 * The tenant limits on creates and log output, over HTTP against a real nats-server: 429 with
 * `Retry-After` past `limits.maxInstances` and `limits.createsPerSecond`, slots given back when
 * instances complete or are terminated, and a log storm capped with one line saying what was dropped.
 * Each beside a tenant with default limits that goes on unhindered. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { fixture, isFinished, startKiln, type JsonBody, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let calm: TenantClient;

const settingsPath = (tenant: string) => `/v1/tenants/${tenant}/settings`;
const instancesPath = (client: TenantClient) => `/v1/tenants/${client.id}/workflows/quota/instances`;

beforeAll(async () => {
  kiln = await startKiln();
  calm = await kiln.tenant("calm");
  const deployed = await calm.deploy("quota", await fixture("quota.ts"));
  if (deployed.status !== 201) throw new Error(`deploying quota.ts: ${deployed.status} ${JSON.stringify(deployed.body)}`);
}, 300_000);
afterAll(async () => kiln?.close());

async function tenantWithLimits(id: string, limits: Record<string, number>): Promise<TenantClient> {
  const client = await kiln.tenant(id);
  expect((await client.deploy("quota", await fixture("quota.ts"))).status).toBe(201);
  await setLimits(client, limits);
  return client;
}

/**
 * Sets a tenant's limits and waits until an executor runs its instances with them: the settings carry
 * an env var marker that a probe instance reads back. The gateway reads them on every create.
 */
async function setLimits(client: TenantClient, limits: Record<string, number>): Promise<void> {
  const mark = crypto.randomUUID();
  expect((await kiln.adminApi("PUT", settingsPath(client.id), { limits, env: { vars: { MARK: mark } } })).status).toBe(200);
  await eventually(`the limits of ${client.id} reach the executor`, async () => {
    const { id } = await client.create("quota", { params: { scenario: "settings-mark" } });
    return (await client.waitFor("quota", id, isFinished)).output === mark;
  });
}

/** A create as a client sees it, headers included. */
async function create(client: TenantClient, body: unknown, path = instancesPath(client)) {
  const response = await fetch(`${kiln.gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${client.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer: JsonBody = await response.json();
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: answer };
}

const createBatch = (client: TenantClient, items: unknown[]) => create(client, items, `${instancesPath(client)}/batch`);

async function quickCompletes(client: TenantClient): Promise<void> {
  const { id } = await client.create("quota", { params: { scenario: "quick" } });
  expect((await client.waitFor("quota", id, isFinished)).status).toBe("complete");
}

describe("limits.maxInstances", () => {
  it("answers 429 with Retry-After past the limit, single and batch, and frees a slot when an instance completes or is terminated", async () => {
    const full = await tenantWithLimits("full", { maxInstances: 2 });
    const wait = { params: { scenario: "wait" } };
    expect((await create(full, { id: "one", ...wait })).status).toBe(201);
    expect((await create(full, { id: "two", ...wait })).status).toBe(201);

    const refused = await create(full, { id: "three", ...wait });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatchObject({ code: "too_many_instances", retryAfterMs: expect.any(Number) });
    expect(refused.body.error.message).toContain("limits.maxInstances is 2");
    expect(refused.body.error.message).toContain("raise limits.maxInstances");
    const batch = await createBatch(full, [wait, wait]);
    expect(batch.status).toBe(429);
    expect(batch.retryAfter).not.toBeNull();
    expect(batch.body.error.code).toBe("too_many_instances");
    // Nothing of a refused create was made.
    expect((await full.api("GET", `${instancesPath(full)}/three`)).status).toBe(404);
    await quickCompletes(calm);

    // Completing gives the slot back once the executor has recorded it.
    expect((await full.api("POST", `${instancesPath(full)}/one/events/go`, { done: true })).status).toBe(202);
    expect((await full.waitFor("quota", "one", isFinished)).status).toBe("complete");
    await eventually("the completed instance's slot is free", async () => (await create(full, { id: "three", ...wait })).status === 201);
    expect((await create(full, { id: "four", ...wait })).status).toBe(429);

    // Terminating a waiting instance gives its slot back before the answer.
    expect((await full.api("POST", `${instancesPath(full)}/two/terminate`)).body.status).toBe("terminated");
    expect((await create(full, { id: "four", ...wait })).status).toBe(201);

    // A restart runs a final instance again: it needs a slot too.
    const restart = await full.api("POST", `${instancesPath(full)}/one/restart`);
    expect(restart.status).toBe(429);
    expect(restart.body.error.code).toBe("too_many_instances");

    // Operators see the refusals per tenant.
    const metrics = await (await fetch(`${kiln.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/kiln_creates_refused_total\{[^}]*tenant="full"[^}]*\} [1-9]/);
  });

  it("gives the slot of a duplicate id back at once: the failed create takes its start back", async () => {
    const dup = await tenantWithLimits("dup", { maxInstances: 2 });
    const wait = { params: { scenario: "wait" } };
    expect((await create(dup, { id: "a", ...wait })).status).toBe(201);
    expect((await create(dup, { id: "a", ...wait })).status).toBe(409);
    expect((await createBatch(dup, [{ id: "a", ...wait }])).body.instances).toEqual([{ id: "a", error: expect.objectContaining({ code: "conflict" }) }]);
    expect((await create(dup, { id: "b", ...wait })).status).toBe(201);
    expect((await create(dup, { id: "c", ...wait })).status).toBe(429);
    for (const id of ["a", "b"]) expect((await dup.api("POST", `${instancesPath(dup)}/${id}/terminate`)).status).toBe(200);
  });

  it("frees the slot of a running instance once the executor has terminated it", async () => {
    const busy = await tenantWithLimits("busy", { maxInstances: 1 });
    expect((await create(busy, { id: "spinning", params: { scenario: "spin" } })).status).toBe(201);
    await busy.waitFor("quota", "spinning", (view) =>
      view.steps.some((step: { name: string; status: string }) => step.name === "started" && step.status === "complete"),
    );
    expect((await create(busy, { id: "next", params: { scenario: "quick" } })).status).toBe(429);
    expect((await busy.api("POST", `${instancesPath(busy)}/spinning/terminate`)).status).toBe(200);
    expect((await busy.waitFor("quota", "spinning", isFinished)).status).toBe("terminated");
    await eventually("the terminated instance's slot is free", async () => (await create(busy, { id: "next", params: { scenario: "quick" } })).status === 201);
    expect((await busy.waitFor("quota", "next", isFinished)).status).toBe("complete");
  });
});

describe("limits.createsPerSecond", () => {
  it("answers 429 with Retry-After to creates faster than the limit, counting each instance of a batch", async () => {
    const eager = await tenantWithLimits("eager", { createsPerSecond: 2 });
    const quick = { params: { scenario: "quick" } };
    // Twenty at once: however slow the machine, they come faster than two a second.
    const answers = await Promise.all(Array.from({ length: 20 }, () => create(eager, quick)));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.every((answer) => answer.status === 201 || answer.status === 429)).toBe(true);
    expect(Number(refused[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.body.error.code).toBe("create_rate_exceeded");
    expect(refused[0]!.body.error.message).toContain("limits.createsPerSecond (2)");

    // A batch counts each instance: three can never fit a bucket of two.
    const batch = await createBatch(eager, [quick, quick, quick]);
    expect(batch.status).toBe(429);
    expect(batch.body.error.message).toContain("send batches of at most 2");
    await quickCompletes(calm);
  });
});

describe("log storms", () => {
  const storm = async (client: TenantClient, lines: number, chars: number) => {
    const { id } = await client.create("quota", { params: { scenario: "storm", lines, chars } });
    expect((await client.waitFor("quota", id, isFinished)).status).toBe("complete");
    return id;
  };
  const logsOf = async (client: TenantClient, id: string, settled: (lines: { message: string; source: string }[]) => boolean) => {
    let lines: { message: string; source: string }[] = [];
    await eventually(`the log lines of ${id} are stored`, async () => settled((lines = await client.logs("quota", id))));
    return { tenant: lines.filter((line) => line.source === "tenant"), dropped: lines.filter((line) => line.message.startsWith("dropped ")) };
  };

  it("passes limits.logLinesPerActivation lines, then one line saying how many were dropped, beside a tenant within its limit", async () => {
    const noisy = await tenantWithLimits("noisy", { logLinesPerActivation: 50 });
    const [noisyId, calmId] = await Promise.all([storm(noisy, 500, 20), storm(calm, 500, 20)]);

    const capped = await logsOf(noisy, noisyId, (lines) => lines.some((line) => line.message.startsWith("dropped ")));
    expect(capped.tenant).toHaveLength(50);
    expect(capped.tenant[49]!.message).toMatch(/^line 00049/);
    expect(capped.dropped).toHaveLength(1);
    expect(capped.dropped[0]!.message).toContain("dropped 450 log lines");
    expect(capped.dropped[0]!.message).toContain("limits.logLinesPerActivation (50)");

    const whole = await logsOf(calm, calmId, (lines) => lines.filter((line) => line.source === "tenant").length === 500);
    expect(whole.dropped).toHaveLength(0);
  });

  it("passes at most 1 MiB of lines per activation", async () => {
    // 60 lines of 20,000 bytes: 52 fit in 1 MiB.
    const id = await storm(calm, 60, 20_000);
    const capped = await logsOf(calm, id, (lines) => lines.some((line) => line.message.startsWith("dropped ")));
    expect(capped.tenant).toHaveLength(52);
    expect(capped.dropped).toHaveLength(1);
    expect(capped.dropped[0]!.message).toContain("dropped 8 log lines (160000 bytes)");
    expect(capped.dropped[0]!.message).toContain("a platform limit");
  });
});
