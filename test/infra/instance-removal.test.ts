import { expect, it } from "vitest";
import { Streams, Subjects, type InstanceRef } from "../../contract/mod.ts";
import { purgeInstanceData } from "../../infra/instance-removal.ts";
import { readInbox, sendEvent } from "../../infra/inbox.ts";
import { JournalStore } from "../../infra/journal-store.ts";
import { openKilnResources } from "../../infra/kiln-resources.ts";
import { startTestNats } from "../helpers/nats.ts";

const ref: InstanceRef = { tenant: "acme", workflow: "flow", instance: "gone" };

it("purges an instance's journal, inbox and log lines, trying again when a purge fails", async () => {
  await using nats = await startTestNats();
  const resources = await openKilnResources(await nats.connect());
  const { js, jsm, nc } = resources;
  const journal = new JournalStore(resources.journal, js, jsm);
  await journal.commitStep(ref, 0, { kind: "do", status: "ok", seq: 0, name: "s", key: "czA.0", result: 1, attempts: 1, startedAt: 1, completedAt: 2 });
  await sendEvent(js, ref, { type: "go", payload: null, timestamp: 0 }, 0);
  nc.publish(Subjects.logs(ref.tenant, ref.workflow, ref.instance), "a log line");
  await nc.flush();

  // The first journal purge fails as a request timing out on a loaded server would.
  let journalPurges = 0;
  const flakyJournal = Object.assign(Object.create(journal) as JournalStore, {
    purgeInstance: (...args: Parameters<JournalStore["purgeInstance"]>) =>
      ++journalPurges === 1 ? Promise.reject(new Error("TIMEOUT")) : journal.purgeInstance(...args),
  });
  await purgeInstanceData({ journal: flakyJournal, jsm }, ref);

  expect(journalPurges).toBe(2);
  expect((await journal.load(ref, 0)).steps).toEqual([]);
  expect(await readInbox(js, ref, 0)).toEqual([]);
  const logs = await jsm.streams.info(Streams.logs, { subjects_filter: Subjects.logs(ref.tenant, ref.workflow, ref.instance) });
  expect(logs.state.subjects ?? {}).toEqual({});
  await nc.close();
});
