/**
 * Opens (creating when missing) every NATS resource Kiln uses. Both services call it at start-up, so
 * either one can be first on an empty server. Production runs replicas 3; dev and tests run 1. The
 * settings come from infra/kiln-resource-spec.ts, which `npm run doctor` checks a server against.
 * An existing resource is left as it is: a drifted setting is for the doctor to report.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, setSha256Backend, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/nats-core";
import { Buckets, Streams } from "../contract/mod.ts";
import { kilnResourceSpec, streamConfig, type KilnSpecOptions } from "./kiln-resource-spec.ts";
import { dropSharedWorkConsumer, ensureWorkConsumer } from "./work-consumers.ts";

/** Replicas and the work consumers' `ack_wait`: see infra/kiln-resource-spec.ts. */
export type KilnResourceOptions = KilnSpecOptions;

export interface KilnResources {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly instances: KV;
  readonly journal: KV;
  readonly registry: KV;
  readonly index: KV;
  readonly quotas: KV;
  /** Concurrency slot leases: a key exists only while an activation holds that slot. */
  readonly slots: KV;
  readonly artifacts: ObjectStore;
  /** Creates the tenant's work consumer if it is missing (idempotent). A function, not a method: callers pass it on unbound. */
  readonly ensureWorkConsumer: (tenant: string) => Promise<void>;
}

async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager["streams"]["add"]>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
  }
}

/**
 * Every object-store put and get checks a SHA-256 of the whole object, which @nats-io/obj computes in
 * plain JS unless told otherwise: ~350 of the ~450 ms a 12 MB artifact read took on loopback, against
 * a few ms with the runtime's own (`node:crypto`, which Deno and Bun provide as well). Process-wide.
 */
export function useNativeObjectDigests(): void {
  setSha256Backend("native");
}

export async function openKilnResources(nc: NatsConnection, options: KilnResourceOptions = {}): Promise<KilnResources> {
  useNativeObjectDigests();
  const spec = kilnResourceSpec(options);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  for (const stream of spec.streams) {
    await ensureStream(jsm, streamConfig(stream));
    if (stream.name === Streams.work) await dropSharedWorkConsumer(jsm);
  }
  const kvm = new Kvm(js);
  const buckets = new Map(
    await Promise.all(
      spec.buckets.map(
        async (b) => [b.name, await kvm.create(b.name, { history: b.history, replicas: b.replicas, storage: b.storage, ttl: b.ttlMs })] as const,
      ),
    ),
  );
  const bucket = (name: string): KV => {
    const kv = buckets.get(name);
    if (!kv) throw new Error(`the KV bucket '${name}' has no spec: declare it in infra/kiln-resource-spec.ts`);
    return kv;
  };
  const objm = new Objm(js);
  const stores = new Map(
    await Promise.all(spec.objectStores.map(async (o) => [o.name, await objm.create(o.name, { replicas: o.replicas, storage: o.storage })] as const)),
  );
  const artifacts = stores.get(Buckets.artifacts);
  if (!artifacts) throw new Error(`the object store '${Buckets.artifacts}' has no spec: declare it in infra/kiln-resource-spec.ts`);
  return {
    nc,
    js,
    jsm,
    instances: bucket(Buckets.instances),
    journal: bucket(Buckets.journal),
    registry: bucket(Buckets.registry),
    index: bucket(Buckets.index),
    quotas: bucket(Buckets.quotas),
    slots: bucket(Buckets.slots),
    artifacts,
    ensureWorkConsumer: (tenant) => ensureWorkConsumer(jsm, spec.workConsumer(tenant)),
  };
}
