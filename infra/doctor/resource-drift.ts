/**
 * Where a server's resources differ from infra/kiln-resource-spec.ts, each difference with the command
 * that fixes it. Pure: the caller reads the stream and consumer configs (`undefined` when missing).
 * Fixes are nats CLI commands (https://github.com/nats-io/natscli) where the server can change the
 * setting in place, and a recreate otherwise.
 */
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { BucketSpec, ConsumerSpec, ObjectStoreSpec, StreamSpec } from "../kiln-resource-spec.ts";

/** One setting of one resource that is not what Kiln expects (or a resource that is missing). */
export interface Drift {
  /** What is wrong, e.g. `stream KILN_LOGS`, `KV bucket kiln_registry`, `consumer KILN_WORK/kiln-work-acme`. */
  readonly resource: string;
  /** The NATS setting that differs (`max_age`, `num_replicas`, …), or `exists`. */
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
  /** What the operator should do: a command to run or a service to start. */
  readonly fix: string;
}

/** The part of a stream's config the doctor reads. */
export type ActualStream = Partial<
  Pick<StreamConfig, "subjects" | "retention" | "storage" | "num_replicas" | "max_age" | "max_msgs_per_subject" | "duplicate_window">
>;

/** The part of a consumer's config the doctor reads. */
export type ActualConsumer = Partial<Pick<ConsumerConfig, "filter_subject" | "ack_policy" | "ack_wait" | "max_ack_pending" | "max_deliver" | "num_replicas">>;

const START_A_SERVICE = "start a gateway or an executor (`npm run gateway`): each creates every missing stream, bucket and object store at start-up";
const START_AN_EXECUTOR = "start or restart an executor (`npm run executor`): it creates the work consumer of every tenant in kiln_registry";

const NANOS_PER_MS = 1_000_000;
const UNITS: readonly (readonly [string, number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** `7d`, `2m`, `30s`, `1500ms`: how the nats CLI takes durations. 0 is `0` (no limit). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const duration = (nanos: number | undefined) => (nanos === undefined ? "unset" : formatDurationMs(Math.round(nanos / NANOS_PER_MS)));
const count = (value: number | undefined) => (value === undefined ? "unset" : String(value));
/** The server reports "no limit" as -1 or 0 depending on the setting and version; both mean none. */
const limit = (value: number | undefined) => (value === undefined || value <= 0 ? -1 : value);

/** Quoted for the shell when it holds more than letters, digits, dots and dashes (`kiln.work.>`). */
const arg = (value: string) => (/^[\w.-]+$/.test(value) ? value : `'${value}'`);

function editStream(stream: string, flag: string, value: string): string {
  return `nats stream edit ${stream} ${flag} ${arg(value)} -f`;
}

function recreateStream(stream: string): string {
  return (
    `the server cannot change this in place: stop every gateway and executor, back the stream up if its messages matter ` +
    `(\`nats stream backup ${stream} ./${stream}-backup\`), delete it (\`nats stream rm ${stream} -f\`) and start a gateway to create it again`
  );
}

function replicasFix(stream: string, replicas: number): string {
  const command = editStream(stream, "--replicas", String(replicas));
  return replicas > 1 ? `${command} (needs a JetStream cluster of at least ${replicas} servers)` : command;
}

/** The checks all three kinds share: the stream behind a bucket or object store is a stream too. */
function storedDrifts(resource: string, stream: string, expected: { storage: string; replicas: number }, actual: ActualStream): Drift[] {
  const drifts: Drift[] = [];
  if (actual.storage !== expected.storage) {
    drifts.push({ resource, setting: "storage", expected: expected.storage, actual: String(actual.storage), fix: recreateStream(stream) });
  }
  if ((actual.num_replicas ?? 1) !== expected.replicas) {
    const fix = replicasFix(stream, expected.replicas);
    drifts.push({ resource, setting: "num_replicas", expected: String(expected.replicas), actual: count(actual.num_replicas), fix });
  }
  return drifts;
}

export function streamDrifts(spec: StreamSpec, actual: ActualStream | undefined): Drift[] {
  const resource = `stream ${spec.name}`;
  if (!actual) return [{ resource, setting: "exists", expected: "yes", actual: "no", fix: START_A_SERVICE }];
  const drifts: Drift[] = [];
  const subjects = [...(actual.subjects ?? [])].sort().join(", ");
  const expectedSubjects = [...spec.subjects].sort().join(", ");
  if (subjects !== expectedSubjects) {
    drifts.push({
      resource,
      setting: "subjects",
      expected: expectedSubjects,
      actual: subjects,
      fix: editStream(spec.name, "--subjects", spec.subjects.join(",")),
    });
  }
  if (actual.retention !== spec.retention) {
    drifts.push({ resource, setting: "retention", expected: spec.retention, actual: String(actual.retention), fix: recreateStream(spec.name) });
  }
  drifts.push(...storedDrifts(resource, spec.name, spec, actual));
  const maxAge = duration(actual.max_age ?? 0);
  if (maxAge !== formatDurationMs(spec.maxAgeMs)) {
    const expected = formatDurationMs(spec.maxAgeMs);
    drifts.push({ resource, setting: "max_age", expected, actual: maxAge, fix: editStream(spec.name, "--max-age", expected) });
  }
  if (limit(actual.max_msgs_per_subject) !== limit(spec.maxMsgsPerSubject)) {
    const expected = String(spec.maxMsgsPerSubject);
    const fix = editStream(spec.name, "--max-msgs-per-subject", expected);
    drifts.push({ resource, setting: "max_msgs_per_subject", expected, actual: count(actual.max_msgs_per_subject), fix });
  }
  const window = duration(actual.duplicate_window);
  if (window !== formatDurationMs(spec.duplicateWindowMs)) {
    const expected = formatDurationMs(spec.duplicateWindowMs);
    drifts.push({ resource, setting: "duplicate_window", expected, actual: window, fix: editStream(spec.name, "--dupe-window", expected) });
  }
  return drifts;
}

export function bucketDrifts(spec: BucketSpec, actual: ActualStream | undefined): Drift[] {
  const resource = `KV bucket ${spec.name}`;
  if (!actual) return [{ resource, setting: "exists", expected: "yes", actual: "no", fix: START_A_SERVICE }];
  const drifts = storedDrifts(resource, spec.stream, spec, actual);
  // A bucket's history is the max_msgs_per_subject of its stream.
  if ((actual.max_msgs_per_subject ?? 1) !== spec.history) {
    const fix = editStream(spec.stream, "--max-msgs-per-subject", String(spec.history));
    drifts.push({ resource, setting: "history", expected: String(spec.history), actual: count(actual.max_msgs_per_subject), fix });
  }
  const ttl = duration(actual.max_age ?? 0);
  if (ttl !== formatDurationMs(spec.ttlMs)) {
    const expected = formatDurationMs(spec.ttlMs);
    drifts.push({ resource, setting: "max_age", expected, actual: ttl, fix: editStream(spec.stream, "--max-age", expected) });
  }
  return drifts;
}

export function objectStoreDrifts(spec: ObjectStoreSpec, actual: ActualStream | undefined): Drift[] {
  const resource = `object store ${spec.name}`;
  if (!actual) return [{ resource, setting: "exists", expected: "yes", actual: "no", fix: START_A_SERVICE }];
  return storedDrifts(resource, spec.stream, spec, actual);
}

export function consumerDrifts(spec: ConsumerSpec, actual: ActualConsumer | undefined): Drift[] {
  const resource = `consumer ${spec.stream}/${spec.name}`;
  if (!actual) return [{ resource, setting: "exists", expected: "yes", actual: "no", fix: START_AN_EXECUTOR }];
  const edit = (flag: string, value: string) => `nats consumer edit ${spec.stream} ${spec.name} ${flag} ${arg(value)} -f`;
  const recreate =
    `the server cannot change this in place: delete the consumer (\`nats consumer rm ${spec.stream} ${spec.name} -f\`; its messages stay in the stream) ` +
    `and ${START_AN_EXECUTOR}`;
  const drifts: Drift[] = [];
  if (actual.filter_subject !== spec.filterSubject) {
    const fix = edit("--filter", spec.filterSubject);
    drifts.push({ resource, setting: "filter_subject", expected: spec.filterSubject, actual: String(actual.filter_subject), fix });
  }
  if (actual.ack_policy !== spec.ackPolicy) {
    drifts.push({ resource, setting: "ack_policy", expected: spec.ackPolicy, actual: String(actual.ack_policy), fix: recreate });
  }
  const ackWait = duration(actual.ack_wait);
  if (ackWait !== formatDurationMs(spec.ackWaitMs)) {
    const expected = formatDurationMs(spec.ackWaitMs);
    drifts.push({ resource, setting: "ack_wait", expected, actual: ackWait, fix: edit("--wait", expected) });
  }
  if (limit(actual.max_ack_pending) !== limit(spec.maxAckPending)) {
    const expected = String(spec.maxAckPending);
    drifts.push({ resource, setting: "max_ack_pending", expected, actual: count(actual.max_ack_pending), fix: edit("--max-pending", expected) });
  }
  if (limit(actual.max_deliver) !== limit(spec.maxDeliver)) {
    const expected = String(spec.maxDeliver);
    drifts.push({ resource, setting: "max_deliver", expected, actual: count(actual.max_deliver), fix: edit("--max-deliver", expected) });
  }
  // 0 means "as many as the stream", which the stream's own check covers.
  if (actual.num_replicas && actual.num_replicas !== spec.replicas) {
    drifts.push({ resource, setting: "num_replicas", expected: String(spec.replicas), actual: count(actual.num_replicas), fix: recreate });
  }
  return drifts;
}

/**
 * Durable consumers on a work-queue stream that belong to no tenant. The stream gives each message to
 * one consumer only, so such a consumer takes work no executor sees; and a filter that overlaps a
 * tenant's keeps that tenant's consumer from being created.
 */
export function unexpectedConsumerDrifts(stream: string, expected: readonly string[], durables: readonly string[]): Drift[] {
  const known = new Set(expected);
  return durables
    .filter((name) => !known.has(name))
    .sort()
    .map((name) => ({
      resource: `consumer ${stream}/${name}`,
      setting: "exists",
      expected: "no",
      actual: "yes",
      fix:
        `delete it (\`nats consumer rm ${stream} ${name} -f\`; its messages stay in the stream for the tenants' consumers): ` +
        `on a work-queue stream it takes work no executor sees. Only tenants in kiln_registry have a work consumer`,
    }));
}
