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

it("holds a key read absent as absent until a write reaches it, and never over a write the watch delivered", async () => {
  await using nats = await startTestNats();
  const kv = await new Kvm(jetstream(await nats.connect())).create("mirror_absent_test", { history: 1 });
  const mirror = await KvMirror.open({ kv, filter: "settings.*", parse: (value) => new TextDecoder().decode(value), warn: () => undefined });
  try {
    expect(mirror.heldAbsent("settings.acme"), "nothing known yet: read KV").toBe(false);
    mirror.noteAbsent("settings.acme");
    expect(mirror.heldAbsent("settings.acme")).toBe(true);
    // Set elsewhere: the watch's write replaces the absence.
    const revision = await kv.put("settings.acme", "s1");
    await eventually("the watch delivered s1", async () => mirror.held("settings.acme") === "s1");
    expect(mirror.heldEntry("settings.acme")).toEqual({ value: "s1", revision });
    // A read that found it absent before that write, noted late, does not hide it.
    mirror.noteAbsent("settings.acme");
    expect(mirror.held("settings.acme")).toBe("s1");
    expect(mirror.heldAbsent("settings.acme")).toBe(false);
    await kv.delete("settings.acme");
    await eventually("the watch delivered the delete", async () => mirror.heldAbsent("settings.acme"));
  } finally {
    mirror.close();
  }
  expect(mirror.heldAbsent("settings.acme"), "a closed mirror knows nothing").toBe(false);
});
