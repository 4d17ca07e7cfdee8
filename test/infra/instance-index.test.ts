/**
 * The instance index against a real nats-server: two writers (two gateways) indexing concurrently
 * across chunk boundaries lose nothing, and a listing walks every page newest first.
 */
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { expect, it } from "vitest";
import { Buckets, type InstanceRecord } from "../../contract/mod.ts";
import { INDEX_CHUNK_SIZE } from "../../infra/index-chunks.ts";
import { InstanceIndex } from "../../infra/instance-index.ts";
import { listInstances } from "../../infra/instance-listing.ts";
import { InstanceStore } from "../../infra/instance-store.ts";
import { instanceRecord } from "../helpers/instance-record.ts";
import { startTestNats } from "../helpers/nats.ts";

const record = (id: string, createdAt: number, status: InstanceRecord["status"]): InstanceRecord => instanceRecord({ workflow: "flow", id, status, createdAt });

it("indexes concurrent creates of two writers across chunks and lists them all, page by page", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const kvm = new Kvm(jetstream(nc));
  const [indexKv, instancesKv] = await Promise.all([kvm.create(Buckets.index, { history: 1 }), kvm.create(Buckets.instances, { history: 1 })]);
  const writers = [new InstanceIndex(indexKv), new InstanceIndex(indexKv)];
  const store = new InstanceStore(instancesKv);
  const total = INDEX_CHUNK_SIZE * 2 + 37;
  const ids = Array.from({ length: total }, (_, i) => `i${String(i).padStart(5, "0")}`);
  await Promise.all(
    ids.map(async (id, i) => {
      await store.create(record(id, 1_000 + i, i % 3 === 0 ? "errored" : "complete"));
      await writers[i % 2]!.add("acme", "flow", id, 1_000 + i);
    }),
  );
  // One instance deleted after it was indexed: skipped, not an error.
  await store.remove({ tenant: "acme", workflow: "flow", instance: ids[5]! });

  const reader = new InstanceIndex(indexKv);
  const listed: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listInstances(store, reader, "acme", "flow", { limit: 200, ...(cursor ? { cursor } : {}) });
    expect(page.instances.length).toBeLessThanOrEqual(200);
    listed.push(...page.instances.map((instance) => instance.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  expect(pages).toBeGreaterThanOrEqual(Math.ceil((total - 1) / 200));
  expect(new Set(listed).size).toBe(listed.length);
  expect([...listed].sort()).toEqual(ids.filter((_, i) => i !== 5));

  const errored = await listInstances(store, reader, "acme", "flow", { limit: 1000, status: "errored" });
  expect(errored.instances.every((instance) => instance.status === "errored")).toBe(true);
  const window = await listInstances(store, reader, "acme", "flow", { limit: 1000, createdAfter: 1_100, createdBefore: 1_110 });
  expect(window.instances.map((instance) => instance.createdAt).sort()).toEqual(Array.from({ length: 9 }, (_, i) => 1_101 + i));
});
