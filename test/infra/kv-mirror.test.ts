import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { expect, it } from "vitest";
import { KvMirror } from "../../infra/kv-mirror.ts";
import { eventually } from "../helpers/eventually.ts";
import { startTestNats } from "../helpers/nats.ts";

it("holds the followed keys, follows changes made elsewhere, and never lets an older write win", async () => {
  await using nats = await startTestNats();
  const kv = await new Kvm(jetstream(await nats.connect())).create("mirror_test", { history: 1 });
  await kv.put("workflow.acme.a", "v1");
  await kv.put("other.acme", "not followed");
  const warnings: string[] = [];
  const mirror = await KvMirror.open({ kv, filter: "workflow.*.*", parse: (value) => new TextDecoder().decode(value), warn: (w) => warnings.push(w) });
  try {
    await eventually("the watch delivered v1", async () => mirror.held("workflow.acme.a") === "v1");
    expect(mirror.held("other.acme")).toBeUndefined();

    // Written by another process: reaches the mirror through the watch.
    await kv.put("workflow.acme.a", "v2");
    await eventually("the watch delivered v2", async () => mirror.held("workflow.acme.a") === "v2");

    // This process's own write is held at once; a write it noted late, older than what is held, is ignored.
    const revision = await kv.put("workflow.acme.a", "v3");
    mirror.note("workflow.acme.a", "v3", revision);
    expect(mirror.held("workflow.acme.a")).toBe("v3");
    mirror.note("workflow.acme.a", "stale", revision - 1);
    expect(mirror.held("workflow.acme.a")).toBe("v3");

    // A delete: nothing held (the caller reads KV), and a late note of an earlier write does not revive it.
    await kv.delete("workflow.acme.a");
    await eventually("the watch delivered the delete", async () => mirror.held("workflow.acme.a") === undefined);
    mirror.note("workflow.acme.a", "v3", revision);
    expect(mirror.held("workflow.acme.a")).toBeUndefined();
  } finally {
    mirror.close();
  }
  expect(mirror.held("workflow.acme.b")).toBeUndefined();
  expect(warnings).toEqual([]);
});
