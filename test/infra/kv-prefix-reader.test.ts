import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { expect, it } from "vitest";
import { readKvPrefix } from "../../infra/kv-prefix-reader.ts";
import { startTestNats } from "../helpers/nats.ts";

it("reads the current value of every key under a prefix, without deleted keys or other prefixes", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const kv = await new Kvm(js).create("prefix_test", { history: 1 });
  for (let i = 0; i < 250; i++) await kv.put(`a.i.${i}`, `v${i}`);
  await kv.put("a.i.7", "changed");
  await kv.delete("a.i.8");
  await kv.purge("a.i.9");
  await kv.put("a.ix.0", "a neighbour, not under the prefix");
  await kv.put("b.i.0", "another prefix");

  const entries = await readKvPrefix(js, jsm, "prefix_test", "a.i");
  const byKey = new Map(entries.map((entry) => [entry.key, new TextDecoder().decode(entry.value)]));
  expect(byKey.size).toBe(248);
  expect(byKey.get("a.i.0")).toBe("v0");
  expect(byKey.get("a.i.7")).toBe("changed");
  expect(byKey.has("a.i.8")).toBe(false);
  expect(byKey.has("a.i.9")).toBe(false);
  expect(byKey.has("a.ix.0")).toBe(false);
  expect(await readKvPrefix(js, jsm, "prefix_test", "nothing.here")).toEqual([]);
  // The short-lived consumers are gone afterwards.
  await expect.poll(async () => (await jsm.consumers.list("KV_prefix_test").next()).length).toBe(0);
});
