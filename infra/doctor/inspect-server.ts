/**
 * Reads the config of every resource in a spec from a running server and compares it (resource-drift.ts).
 * Tenants come from `kiln_registry`: each has a work consumer.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { Buckets, Keys } from "../../contract/mod.ts";
import type { KilnResourceSpec } from "../kiln-resource-spec.ts";
import { bucketDrifts, consumerDrifts, objectStoreDrifts, streamDrifts, unexpectedConsumerDrifts, type Drift } from "./resource-drift.ts";

export interface DoctorReport {
  /** True when nothing drifted. */
  readonly healthy: boolean;
  /** Every resource looked at, in the words of `Drift.resource`. */
  readonly checked: readonly string[];
  /** The tenants whose work consumers were checked. */
  readonly tenants: readonly string[];
  readonly drifts: readonly Drift[];
}

/** Undefined when the server says the stream or consumer does not exist; any other failure is thrown. */
async function unlessMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    const missing =
      error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound);
    if (missing) return undefined;
    throw error;
  }
}

async function streamConfigOf(jsm: JetStreamManager, stream: string) {
  return (await unlessMissing(jsm.streams.info(stream)))?.config;
}

async function tenantsIn(nc: NatsConnection): Promise<string[]> {
  const registry = await new Kvm(jetstream(nc)).open(Buckets.registry);
  const prefix = Keys.tenant("");
  const tenants: string[] = [];
  for await (const key of await registry.keys(Keys.allTenants)) tenants.push(key.slice(prefix.length));
  return tenants.sort();
}

export async function inspectServer(nc: NatsConnection, spec: KilnResourceSpec): Promise<DoctorReport> {
  const jsm = await jetstreamManager(nc);
  const checked: string[] = [];
  const drifts: Drift[] = [];
  const note = (resource: string, found: Drift[]) => {
    checked.push(resource);
    drifts.push(...found);
  };
  for (const stream of spec.streams) note(`stream ${stream.name}`, streamDrifts(stream, await streamConfigOf(jsm, stream.name)));
  for (const bucket of spec.buckets) note(`KV bucket ${bucket.name}`, bucketDrifts(bucket, await streamConfigOf(jsm, bucket.stream)));
  for (const store of spec.objectStores) note(`object store ${store.name}`, objectStoreDrifts(store, await streamConfigOf(jsm, store.stream)));
  // Without the registry there is no list of tenants; its own drift says to create it.
  const registryStream = spec.buckets.find((bucket) => bucket.name === Buckets.registry)?.stream;
  const tenants = registryStream && (await streamConfigOf(jsm, registryStream)) ? await tenantsIn(nc) : [];
  for (const tenant of tenants) {
    const consumer = spec.workConsumer(tenant);
    const info = await unlessMissing(jsm.consumers.info(consumer.stream, consumer.name));
    note(`consumer ${consumer.stream}/${consumer.name}`, consumerDrifts(consumer, info?.config));
  }
  // Any other durable consumer on the work stream takes tenants' work.
  const work = spec.workConsumer("");
  if (await streamConfigOf(jsm, work.stream)) {
    const durables: string[] = [];
    for await (const info of jsm.consumers.list(work.stream)) if (info.config.durable_name) durables.push(info.config.durable_name);
    const expected = tenants.map((tenant) => spec.workConsumer(tenant).name);
    for (const drift of unexpectedConsumerDrifts(work.stream, expected, durables)) note(drift.resource, [drift]);
  }
  return { healthy: drifts.length === 0, checked, tenants, drifts };
}
