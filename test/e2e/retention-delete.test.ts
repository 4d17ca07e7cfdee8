/**
 * What a finished or unwanted instance leaves behind: retention removes it when it runs out, DELETE
 * removes it now (a running one only with ?force=1), and batch terminate stops many at once. "Gone"
 * is checked in NATS itself: no record, no journal key, no log line.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Buckets, Streams, Subjects } from "../../contract/mod.ts";
import { eventually } from "../helpers/eventually.ts";
import { isFinished, startKilnWithKitchenSink, type TenantClient, type TestKiln } from "../helpers/kiln.ts";

let kiln: TestKiln;
let acme: TenantClient;
let nc: NatsConnection;

beforeAll(async () => {
  ({ kiln, acme } = await startKilnWithKitchenSink({ executors: 1 }));
  nc = await kiln.nats.connect();
}, 120_000);
afterAll(async () => kiln?.close());

const path = (id = "") => `/v1/tenants/acme/workflows/sink/instances${id ? `/${id}` : ""}`;

/** What NATS still holds of one instance: its record (and its text), journal keys and log lines. */
async function leftovers(id: string): Promise<{ record: boolean; recordText?: string; journalKeys: number; logLines: number }> {
  const kvm = new Kvm(nc);
  const record = await (await kvm.open(Buckets.instances)).get(`acme.sink.${id}`);
  let journalKeys = 0;
  for await (const key of await (await kvm.open(Buckets.journal)).keys(`acme.sink.${id}.>`)) journalKeys += key ? 1 : 0;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.logs, { subjects_filter: Subjects.logs("acme", "sink", id) });
  const logLines = Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  return { record: record !== null && record.operation === "PUT", recordText: record?.string(), journalKeys, logLines };
}

const gone = async (id: string) => {
  const left = await leftovers(id);
  return !left.record && left.journalKeys === 0 && left.logLines === 0;
};

/**
 * Waits until nothing of `id` is left; says what is left when that never happens. A removal is a
 * record delete, then purges of the journal (a key listing: a consumer whose creation scans the
 * stream on nats-server 2.9), the inbox and the log lines, each tried again after 0.25, 1 and 4 s:
 * once, on Deno beside a CPU burner, it finished only just after 20 s. The wait allows a minute.
 */
async function untilGone(id: string, what: string): Promise<void> {
  try {
    await eventually(what, () => gone(id), 60_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; left: ${JSON.stringify(await leftovers(id))}`, { cause: error });
  }
}

describe("retention", () => {
  it("removes a complete instance and an errored one once their own retention runs out", async () => {
    const kept = await acme.create("sink", { params: { scenario: "steps", count: 2 }, retention: { successRetention: "1 second" } });
    const failed = await acme.create("sink", { params: { scenario: "fail" }, retention: { errorRetention: 1_500 } });
    expect((await acme.waitFor("sink", kept.id, isFinished)).status).toBe("complete");
    expect((await acme.waitFor("sink", failed.id, isFinished)).status).toBe("errored");
    expect(await leftovers(kept.id)).toMatchObject({ record: true, journalKeys: expect.any(Number) });
    await untilGone(kept.id, "the complete instance expires");
    await untilGone(failed.id, "the errored instance expires");
    expect((await acme.api("GET", path(kept.id))).status).toBe(404);
  }, 180_000);

  it("refuses a retention that is not a duration or longer than 30 days", async () => {
    for (const retention of [{ successRetention: "31 days" }, { errorRetention: "soon" }, { keep: "1 day" }]) {
      const answer = await acme.api("POST", path(), { params: {}, retention });
      expect(answer.status, JSON.stringify(retention)).toBe(400);
    }
  });
});

describe("DELETE", () => {
  it("refuses a running instance without force, stops and removes it with ?force=1", async () => {
    const { id } = await acme.create("sink", { params: { scenario: "steps", count: 2, spinMs: 20_000 } });
    await acme.waitFor("sink", id, (view) => view.status === "running");
    const refused = await acme.api("DELETE", path(id));
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("?force=1");
    expect((await acme.api("DELETE", `${path(id)}?force=yes`)).status).toBe(400);
    expect((await acme.api("DELETE", `${path(id)}?force=1`)).status).toBe(204);
    expect((await acme.api("GET", path(id))).status).toBe(404);
    // The killed activation is the last writer: it purges what it committed after the delete.
    await untilGone(id, "nothing of the deleted instance is left");
    // The executor is free again for other work.
    const after = await acme.create("sink", { params: { scenario: "steps", count: 1 } });
    expect((await acme.waitFor("sink", after.id, isFinished)).status).toBe("complete");
  });

  it("removes a finished instance, and answers 404 for one that is not there", async () => {
    const { id } = await acme.create("sink", { params: { scenario: "steps", count: 1 } });
    await acme.waitFor("sink", id, isFinished);
    expect((await acme.api("DELETE", path(id))).status).toBe(204);
    expect(await gone(id)).toBe(true);
    expect((await acme.api("DELETE", path(id))).status).toBe(404);
    const listed = await acme.api("GET", `${path()}?limit=1000`);
    expect(listed.body.instances.map((instance: { id: string }) => instance.id)).not.toContain(id);
  });
});

describe("batch terminate", () => {
  it("terminates up to 100 instances in one call and says what happened to each", async () => {
    const sleepers = await Promise.all([0, 1].map(() => acme.create("sink", { params: { scenario: "sleep", sleep: "1 hour" } })));
    await Promise.all(sleepers.map(({ id }) => acme.waitFor("sink", id, (view) => view.status === "sleeping")));
    const answer = await acme.api("POST", `${path()}/terminate`, { ids: [...sleepers.map(({ id }) => id), "never-created"] });
    expect(answer.status).toBe(200);
    expect(answer.body.instances).toEqual([
      { id: sleepers[0]!.id, status: "terminated" },
      { id: sleepers[1]!.id, status: "terminated" },
      { id: "never-created", error: { code: "not_found", message: expect.any(String) } },
    ]);
    const tooMany = await acme.api("POST", `${path()}/terminate`, { ids: Array.from({ length: 101 }, (_, i) => `i${i}`) });
    expect(tooMany.status).toBe(400);
  });
});
