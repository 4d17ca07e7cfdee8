/**
 * Opens (creating when missing) every NATS resource Kiln uses. Both services call it at start-up, so
 * either one can be first on an empty server. Production runs replicas 3; dev and tests run 1.
 */
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, setSha256Backend, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/nats-core";
import { Buckets, Streams, Subjects } from "../contract/mod.ts";
import { nanos } from "./nats-duration.ts";
import { dropSharedWorkConsumer, ensureWorkConsumer } from "./work-consumers.ts";

export interface KilnResourceOptions {
  /** Stream, bucket and object-store replicas. @default 1 */
  replicas?: number;
  /** How long an executor may hold a work message without a progress signal. @default 30_000 */
  workAckWaitMs?: number;
}

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
  const replicas = options.replicas ?? 1;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, {
    name: Streams.work,
    subjects: [Subjects.workAll],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
    // Lets a create that failed half-way publish again without a second envelope.
    duplicate_window: nanos(120_000),
  });
  await dropSharedWorkConsumer(jsm);
  await ensureStream(jsm, {
    name: Streams.inbox,
    subjects: [Subjects.inboxAll],
    storage: StorageType.File,
    num_replicas: replicas,
  });
  await ensureStream(jsm, {
    name: Streams.logs,
    subjects: [Subjects.logsAll],
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: nanos(7 * 24 * 3_600_000),
    max_msgs_per_subject: 10_000,
  });
  const kvm = new Kvm(js);
  const [instances, journal, registry, index, quotas, slots] = await Promise.all([
    kvm.create(Buckets.instances, { history: 1, replicas, storage: StorageType.File }),
    kvm.create(Buckets.journal, { history: 1, replicas, storage: StorageType.File }),
    kvm.create(Buckets.registry, { history: 1, replicas, storage: StorageType.File }),
    kvm.create(Buckets.index, { history: 1, replicas, storage: StorageType.File }),
    kvm.create(Buckets.quotas, { history: 1, replicas, storage: StorageType.File }),
    kvm.create(Buckets.slots, { history: 1, replicas, storage: StorageType.File }),
  ]);
  const artifacts = await new Objm(js).create(Buckets.artifacts, { replicas, storage: StorageType.File });
  const consumerOptions = { ackWaitMs: options.workAckWaitMs ?? 30_000, replicas };
  return {
    nc,
    js,
    jsm,
    instances,
    journal,
    registry,
    index,
    quotas,
    slots,
    artifacts,
    ensureWorkConsumer: (tenant) => ensureWorkConsumer(jsm, tenant, consumerOptions),
  };
}
