/** Counts a tenant's live instances from their records: the full scan a quota is started or reconciled from. */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { Buckets, FINAL_STATUSES, Keys, type InstanceRecord } from "../../contract/mod.ts";
import { decodeJson } from "../json-codec.ts";
import { readKvPrefix } from "../kv-prefix-reader.ts";

export function liveInstanceCounter(js: JetStreamClient, jsm: JetStreamManager): (tenant: string) => Promise<number> {
  return async (tenant) => {
    const entries = await readKvPrefix(js, jsm, Buckets.instances, Keys.instancesPrefixOfTenant(tenant));
    return entries.filter((entry) => !FINAL_STATUSES.has(decodeJson<InstanceRecord>(entry.value).status)).length;
  };
}
