/**
 * The settings of every NATS resource Kiln uses, declared once: `openKilnResources` creates the
 * resources from it and `npm run doctor` checks a running server against it.
 */
import { AckPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type StreamConfig } from "@nats-io/jetstream";
import { Buckets, Streams, Subjects, workConsumer } from "../contract/mod.ts";
import { nanos } from "./nats-duration.ts";

export interface KilnSpecOptions {
  /** Stream, bucket, object-store and consumer replicas (`KILN_REPLICAS`). @default 1 */
  replicas?: number;
  /** `ack_wait` of the tenants' work consumers (`KILN_WORK_ACK_WAIT_MS`). @default 30_000 */
  workAckWaitMs?: number;
}

/** A plain stream. Every limit is explicit (0 / -1 for none), so the doctor can tell any change. */
export interface StreamSpec {
  readonly kind: "stream";
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: RetentionPolicy;
  readonly storage: StorageType;
  readonly replicas: number;
  /** 0: messages never expire. */
  readonly maxAgeMs: number;
  /** -1: no limit. */
  readonly maxMsgsPerSubject: number;
  readonly duplicateWindowMs: number;
}

/** A KV bucket; it lives in the stream `KV_<name>`, whose `max_msgs_per_subject` is the history. */
export interface BucketSpec {
  readonly kind: "kv";
  readonly name: string;
  readonly stream: string;
  readonly history: number;
  readonly storage: StorageType;
  readonly replicas: number;
  /** 0: keys never expire. */
  readonly ttlMs: number;
}

/** An object store; it lives in the stream `OBJ_<name>`. */
export interface ObjectStoreSpec {
  readonly kind: "object-store";
  readonly name: string;
  readonly stream: string;
  readonly storage: StorageType;
  readonly replicas: number;
}

/** A durable pull consumer. */
export interface ConsumerSpec {
  readonly kind: "consumer";
  readonly stream: string;
  readonly name: string;
  readonly filterSubject: string;
  readonly ackPolicy: AckPolicy;
  readonly ackWaitMs: number;
  /** -1: no limit. */
  readonly maxAckPending: number;
  /** -1: no limit. */
  readonly maxDeliver: number;
  readonly replicas: number;
}

export interface KilnResourceSpec {
  readonly streams: readonly StreamSpec[];
  readonly buckets: readonly BucketSpec[];
  readonly objectStores: readonly ObjectStoreSpec[];
  /** The tenant's consumer on `KILN_WORK`; one per tenant in `kiln_registry`. */
  workConsumer(tenant: string): ConsumerSpec;
}

/** The server's default, stated so that a stream created by hand with another is noticed. */
const DUPLICATE_WINDOW_MS = 120_000;

export function kilnResourceSpec(options: KilnSpecOptions = {}): KilnResourceSpec {
  const replicas = options.replicas ?? 1;
  const workAckWaitMs = options.workAckWaitMs ?? 30_000;
  const storage = StorageType.File;
  const stream = (name: string, subject: string, settings: Partial<StreamSpec> = {}): StreamSpec => ({
    kind: "stream",
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage,
    replicas,
    maxAgeMs: 0,
    maxMsgsPerSubject: -1,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
    ...settings,
  });
  const bucket = (name: string): BucketSpec => ({ kind: "kv", name, stream: `KV_${name}`, history: 1, storage, replicas, ttlMs: 0 });
  return {
    streams: [
      // The duplicate window lets a create that failed half-way publish again without a second envelope.
      stream(Streams.work, Subjects.workAll, { retention: RetentionPolicy.Workqueue }),
      stream(Streams.inbox, Subjects.inboxAll),
      stream(Streams.logs, Subjects.logsAll, { maxAgeMs: 7 * 24 * 3_600_000, maxMsgsPerSubject: 10_000 }),
    ],
    buckets: [Buckets.instances, Buckets.journal, Buckets.registry, Buckets.index, Buckets.quotas, Buckets.slots].map(bucket),
    objectStores: [{ kind: "object-store", name: Buckets.artifacts, stream: `OBJ_${Buckets.artifacts}`, storage, replicas }],
    workConsumer: (tenant) => ({
      kind: "consumer",
      stream: Streams.work,
      name: workConsumer(tenant),
      filterSubject: Subjects.workOfTenant(tenant),
      ackPolicy: AckPolicy.Explicit,
      ackWaitMs: workAckWaitMs,
      // Suspended instances park their timer message in the consumer (nak with delay), so neither
      // the number of outstanding messages nor the number of deliveries may be capped.
      maxAckPending: -1,
      maxDeliver: -1,
      replicas,
    }),
  };
}

/** What `jsm.streams.add` takes for a stream spec. */
export function streamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    retention: spec.retention,
    storage: spec.storage,
    num_replicas: spec.replicas,
    max_age: nanos(spec.maxAgeMs),
    max_msgs_per_subject: spec.maxMsgsPerSubject,
    duplicate_window: nanos(spec.duplicateWindowMs),
  };
}

/** What `jsm.consumers.add` takes for a consumer spec. */
export function consumerConfig(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.name,
    filter_subject: spec.filterSubject,
    ack_policy: spec.ackPolicy,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: spec.maxAckPending,
    max_deliver: spec.maxDeliver,
    num_replicas: spec.replicas,
  };
}
