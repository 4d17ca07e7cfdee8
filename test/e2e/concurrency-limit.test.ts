/**
 * `limits.concurrency` holds across executors: two executors share tenants whose instances each hold
 * a step for a while; a tenant never has more activations running at once than its limit (read back
 * from the times its step bodies ran), every instance still completes, and a tenant without a
 * tight limit runs beside it. How long the waiting takes belongs to the benchmark, not here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keys } from "../../contract/mod.ts";
import { decodeJson } from "../../infra/json-codec.ts";
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { fixture, isFinished, startKiln, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

/** Long enough that instances of one tenant would overlap without a limit, short enough for 2 loaded cores. */
const HOLD_MS = 300;

interface Span {
  startedAt: number;
  endedAt: number;
}

/** The most spans running at any one moment (a span that ends as another starts does not overlap it). */
function mostAtOnce(spans: Span[]): number {
  const edges = spans.flatMap((span) => [
    { at: span.startedAt, change: 1 },
    { at: span.endedAt, change: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let running = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (running += edge.change));
  return most;
}

/** Creates `count` held-step instances at once and waits for all of them; their step spans. */
async function runBatch(client: TenantClient, prefix: string, count: number): Promise<Span[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const batch = await client.api(
    "POST",
    `/v1/tenants/${client.id}/workflows/held/instances/batch`,
    ids.map((id) => ({ id, params: { holdMs: HOLD_MS } })),
  );
  expect(batch.status).toBe(201);
  const views = await Promise.all(ids.map((id) => client.waitFor("held", id, isFinished, 120_000)));
  for (const view of views) expect(view).toMatchObject({ status: "complete", output: { startedAt: expect.any(Number) } });
  return views.map((view) => view.output as Span);
}

describe("limits.concurrency across executors", () => {
  let kiln: TestKiln;
  let single: TenantClient;
  let pair: TenantClient;
  let roomy: TenantClient;

  beforeAll(async () => {
    // Limits set before any executor starts: an executor loads every tenant's settings before it
    // takes work, so both run these instances under the limits from the first message on.
    kiln = await startKiln({ executors: 0 });
    [single, pair, roomy] = await Promise.all([kiln.tenant("single"), kiln.tenant("pair"), kiln.tenant("roomy")]);
    const source = await fixture("held-step.ts");
    for (const client of [single, pair, roomy]) expect((await client.deploy("held", source)).status).toBe(201);
    for (const [client, concurrency] of [
      [single, 1],
      [pair, 2],
    ] as const) {
      expect((await kiln.adminApi("PUT", `/v1/tenants/${client.id}/settings`, { limits: { concurrency } })).status).toBe(200);
    }
    await kiln.startExecutor();
    await kiln.startExecutor();
  }, 180_000);
  afterAll(async () => kiln?.close());

  it("runs at most the limit of a tenant's instances at once, completes them all, and leaves other tenants alone", async () => {
    const watch = await kiln.watchActivations();
    try {
      const [singleSpans, pairSpans, roomySpans] = await Promise.all([runBatch(single, "s", 5), runBatch(pair, "p", 6), runBatch(roomy, "r", 4)]);
      expect(mostAtOnce(singleSpans)).toBe(1);
      expect(mostAtOnce(pairSpans)).toBeLessThanOrEqual(2);
      expect(roomySpans).toHaveLength(4);
      // Both executors took work: the limit held across them, not inside one.
      expect([...watch.byExecutor().values()].filter((count) => count > 0)).toHaveLength(2);
    } finally {
      watch.stop();
    }
  }, 180_000);

  it("says in the status that an instance waits for a concurrency slot, and runs it once the slot is free", async () => {
    // Holds single's only slot until it is terminated.
    const holder = await single.create("held", { params: { holdMs: 600_000 } });
    await single.waitFor("held", holder.id, (view) => view.status === "running");
    const { id } = await single.create("held", { params: { holdMs: 1 } });
    const waiting = await single.waitFor("held", id, (view) => view.concurrencyWait !== undefined || isFinished(view));
    expect(waiting).toMatchObject({ status: "queued", concurrencyWait: { limit: 1, since: expect.any(String) } });
    expect((await single.api("POST", `/v1/tenants/single/workflows/held/instances/${holder.id}/terminate`)).status).toBeLessThan(300);
    const done = await single.waitFor("held", id, isFinished, 60_000);
    expect(done.status).toBe("complete");
    expect(done.concurrencyWait).toBeUndefined();
  }, 120_000);
});

describe("a slot held by a crashed executor", () => {
  it("frees itself when its lease lapses, so the tenant's next instance runs", async () => {
    await using kiln = await startKiln({ executors: 0 });
    const lone = await kiln.tenant("lone");
    expect((await lone.deploy("held", await fixture("held-step.ts"))).status).toBe(201);
    expect((await kiln.adminApi("PUT", "/v1/tenants/lone/settings", { limits: { concurrency: 1 } })).status).toBe(200);
    const doomed = await kiln.spawnExecutor();
    const holder = await lone.create("held", { params: { holdMs: 600_000 } });
    await lone.waitFor("held", holder.id, (view) => view.status === "running");
    // The machine dies holding the tenant's only slot; the instance it ran is ended by the tenant.
    await doomed.kill();
    const { slots } = await openKilnResources(await kiln.nats.connect());
    const held = await slots.get(Keys.concurrencySlot("lone", 0));
    expect(held && decodeJson<{ owner: string }>(held.value).owner).toBe(doomed.id);
    expect((await lone.api("POST", `/v1/tenants/lone/workflows/held/instances/${holder.id}/terminate`)).status).toBeLessThan(300);
    await kiln.startExecutor();
    const { id } = await lone.create("held", { params: { holdMs: 1 } });
    expect((await lone.waitFor("held", id, isFinished, 60_000)).status).toBe("complete");
  }, 120_000);
});
