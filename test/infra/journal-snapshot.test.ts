import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { expect, it } from "vitest";
import { Buckets, type InstanceRef, type StepRecord } from "../../contract/mod.ts";
import { JournalStore, type InstanceJournal } from "../../infra/journal-store.ts";
import { startTestNats } from "../helpers/nats.ts";

const i1: InstanceRef = { tenant: "acme", workflow: "flow", instance: "i1" };

const step = (seq: number, result: unknown): StepRecord => ({
  kind: "do",
  status: "ok",
  seq,
  name: `s${seq}`,
  key: `czA.${seq}`,
  result,
  attempts: 1,
  startedAt: 1,
  completedAt: 2,
});

it("hands back the journal only to the activation right after the one that saved it", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const js = jetstream(nc);
  const store = new JournalStore(await new Kvm(js).create(Buckets.journal, { history: 1 }), js, await jetstreamManager(nc));
  const journal = {
    steps: [step(1, "b"), step(0, "a")],
    attempts: new Map([["czA.0", [{ attempt: 1, error: { name: "Error", message: "flaky" }, startedAt: 1, failedAt: 2 }]]]),
    deadlines: new Map([["ZXY.0", 99]]),
  };
  await store.saveSnapshot(i1, 0, 3, journal);

  const loaded = await store.loadSnapshot(i1, 0, 3);
  expect(loaded?.steps.map((s) => s.seq)).toEqual([0, 1]);
  expect(loaded?.attempts.get("czA.0")?.[0]?.error.message).toBe("flaky");
  expect(loaded?.deadlines.get("ZXY.0")).toBe(99);
  // Another activation ran since (it may have committed more): read the journal instead.
  expect(await store.loadSnapshot(i1, 0, 4)).toBeUndefined();
  expect(await store.loadSnapshot(i1, 1, 3)).toBeUndefined();
  // The snapshot is not a step: reading the journal's keys skips it.
  expect((await store.load(i1, 0)).steps).toEqual([]);

  // Too large for one value: no snapshot, so the next activation reads the keys.
  await store.saveSnapshot(i1, 0, 4, { ...journal, steps: [step(0, "x".repeat(600 * 1024))] });
  expect(await store.loadSnapshot(i1, 0, 4)).toBeUndefined();
});

it("reads the journal after an activation from its snapshot, from nothing before the first, from the keys otherwise", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const js = jetstream(nc);
  const store = new JournalStore(await new Kvm(js).create(Buckets.journal, { history: 1 }), js, await jetstreamManager(nc));
  await store.commitStep(i1, 0, step(0, "from the keys"));
  const results = (journal: InstanceJournal) => journal.steps.map((s) => ("result" in s ? s.result : undefined));

  // No activation has been claimed: nothing can be written yet, unless a restart kept steps.
  expect((await store.loadAfter(i1, 0, 0)).steps).toEqual([]);
  expect(results(await store.loadAfter(i1, 0, 0, 1))).toEqual(["from the keys"]);
  // The activation left no snapshot (it is running, or lost its lease), or the record predates the count.
  expect(results(await store.loadAfter(i1, 0, 1))).toEqual(["from the keys"]);
  expect(results(await store.loadAfter(i1, 0, undefined))).toEqual(["from the keys"]);

  await store.saveSnapshot(i1, 0, 1, { steps: [step(0, "from the snapshot")], attempts: new Map(), deadlines: new Map() });
  expect(results(await store.loadAfter(i1, 0, 1))).toEqual(["from the snapshot"]);
  // A later activation ran since: it may have committed more.
  expect(results(await store.loadAfter(i1, 0, 2))).toEqual(["from the keys"]);
});

it("uses a snapshot read ahead of the record when it is the one wanted, and reads again when it came too early", async () => {
  await using nats = await startTestNats();
  const nc = await nats.connect();
  const js = jetstream(nc);
  const kv = await new Kvm(js).create(Buckets.journal, { history: 1 });
  const store = new JournalStore(kv, js, await jetstreamManager(nc));
  let gets = 0;
  const get = kv.get.bind(kv);
  kv.get = (...args: Parameters<typeof kv.get>) => {
    gets++;
    return get(...args);
  };
  const results = (journal: InstanceJournal | undefined) => journal?.steps.map((s) => ("result" in s ? s.result : undefined));
  const only = (result: string) => ({ steps: [step(0, result)], attempts: new Map(), deadlines: new Map() });
  await store.commitStep(i1, 0, step(0, "from the keys"));
  await store.saveSnapshot(i1, 0, 1, only("first activation's"));

  // The status view: the snapshot get goes out before the record is read; nothing is read twice.
  let ahead = store.readSnapshotAhead(i1);
  await ahead.entry;
  gets = 0;
  expect(results(await store.loadAfter(i1, 0, 1, 0, ahead))).toEqual(["first activation's"]);
  expect(gets).toBe(0);

  // Read ahead, then the next activation saved its snapshot and settled: the record asks for activation 2.
  ahead = store.readSnapshotAhead(i1);
  await ahead.entry;
  await store.saveSnapshot(i1, 0, 2, only("second activation's"));
  gets = 0;
  expect(results(await store.loadAfter(i1, 0, 2, 0, ahead))).toEqual(["second activation's"]);
  expect(gets).toBe(1);

  // A restarted instance: generation 0's snapshot read ahead is not generation 1's.
  await store.saveSnapshot(i1, 1, 1, only("after the restart"));
  expect(results(await store.loadAfter(i1, 1, 1, 0, store.readSnapshotAhead(i1)))).toEqual(["after the restart"]);
});
