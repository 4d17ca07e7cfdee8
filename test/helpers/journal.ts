/** What the journal (`kiln_journal`) holds for instances, read straight from KV: the record count a fault test checks. */
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { Buckets, decodeKeyToken, Keys } from "../../contract/mod.ts";

/**
 * Each instance's step records in generation 0 of `kiln_journal`, as sorted `<step name>#<occurrence>`:
 * keys `<prefix>.<step>.<occurrence>`, leaving out attempts, deadlines and the snapshot.
 */
export async function journalStepRecords(nc: NatsConnection, tenant: string, workflow: string, ids: string[]): Promise<Map<string, string[]>> {
  const journal = await new Kvm(nc).open(Buckets.journal);
  const keys: string[] = [];
  for await (const key of await journal.keys(`${tenant}.>`)) keys.push(key);
  const records = new Map<string, string[]>();
  for (const id of ids) {
    const prefix = `${Keys.journalPrefix({ tenant, workflow, instance: id }, 0)}.`;
    const steps = keys
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length).split("."))
      .flatMap(([step, occurrence, ...rest]) =>
        step !== undefined && occurrence !== undefined && rest.length === 0 ? [`${decodeKeyToken(step)}#${occurrence}`] : [],
      );
    records.set(id, steps.sort());
  }
  return records;
}
