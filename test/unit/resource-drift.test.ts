import { AckPolicy, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import {
  bucketDrifts,
  consumerDrifts,
  formatDurationMs,
  objectStoreDrifts,
  streamDrifts,
  unexpectedConsumerDrifts,
  type ActualStream,
} from "../../infra/doctor/resource-drift.ts";
import { consumerConfig, kilnResourceSpec, streamConfig, type StreamSpec } from "../../infra/kiln-resource-spec.ts";

const spec = kilnResourceSpec({ replicas: 3, workAckWaitMs: 30_000 });
const named = <T extends { name: string }>(list: readonly T[], name: string): T => {
  const found = list.find((item) => item.name === name);
  if (!found) throw new Error(`no spec named ${name}`);
  return found;
};
const logs = named(spec.streams, "KILN_LOGS");
const work = named(spec.streams, "KILN_WORK");
const registry = named(spec.buckets, "kiln_registry");
const artifacts = named(spec.objectStores, "kiln_artifacts");
const nanos = (ms: number) => ms * 1_000_000;

/** A stream as the server reports one created from the spec. */
const created = (stream: StreamSpec): ActualStream => streamConfig(stream);
/** A bucket's stream as `kvm.create` makes it. */
const bucketStream = (overrides: ActualStream = {}): ActualStream => ({
  storage: StorageType.File,
  num_replicas: 3,
  max_msgs_per_subject: 1,
  max_age: 0,
  ...overrides,
});

describe("streamDrifts", () => {
  it("finds nothing in a stream created from the spec", () => {
    for (const stream of spec.streams) expect(streamDrifts(stream, created(stream))).toEqual([]);
  });

  it("reports a missing stream with the advice to start a service", () => {
    expect(streamDrifts(work, undefined)).toEqual([
      expect.objectContaining({ resource: "stream KILN_WORK", setting: "exists", fix: expect.stringContaining("start a gateway") }),
    ]);
  });

  it("reports a changed max_age with the nats command that restores it", () => {
    const drifts = streamDrifts(logs, { ...created(logs), max_age: nanos(3_600_000) });
    expect(drifts).toEqual([
      { resource: "stream KILN_LOGS", setting: "max_age", expected: "7d", actual: "1h", fix: "nats stream edit KILN_LOGS --max-age 7d -f" },
    ]);
  });

  it("reports too few replicas, and that more than one needs a cluster", () => {
    const [drift] = streamDrifts(work, { ...created(work), num_replicas: 1 });
    expect(drift).toMatchObject({ setting: "num_replicas", expected: "3", actual: "1" });
    expect(drift?.fix).toBe("nats stream edit KILN_WORK --replicas 3 -f (needs a JetStream cluster of at least 3 servers)");
  });

  it("says a retention or storage change needs the stream recreated, not an edit", () => {
    const drifts = streamDrifts(work, { ...created(work), retention: RetentionPolicy.Limits, storage: StorageType.Memory });
    expect(drifts.map((drift) => drift.setting)).toEqual(["retention", "storage"]);
    for (const drift of drifts) expect(drift.fix).toContain("nats stream rm KILN_WORK -f");
  });

  it("reports subjects, per-subject limit and duplicate window, quoting what the shell would expand", () => {
    const drifts = streamDrifts(logs, { ...created(logs), subjects: ["kiln.log.>"], max_msgs_per_subject: -1, duplicate_window: nanos(1_000) });
    expect(drifts.map((drift) => [drift.setting, drift.expected, drift.actual])).toEqual([
      ["subjects", "kiln.logs.>", "kiln.log.>"],
      ["max_msgs_per_subject", "10000", "-1"],
      ["duplicate_window", "2m", "1s"],
    ]);
    expect(drifts[0]?.fix).toBe("nats stream edit KILN_LOGS --subjects 'kiln.logs.>' -f");
  });

  it("takes 0 and -1 alike as no limit", () => {
    const inbox = named(spec.streams, "KILN_INBOX");
    expect(streamDrifts(inbox, { ...created(inbox), max_msgs_per_subject: 0 })).toEqual([]);
  });
});

describe("bucketDrifts and objectStoreDrifts", () => {
  it("finds nothing in a bucket as kvm.create makes it", () => {
    expect(bucketDrifts(registry, bucketStream())).toEqual([]);
  });

  it("reports history and a TTL on the bucket's stream, with commands on KV_<bucket>", () => {
    const drifts = bucketDrifts(registry, bucketStream({ max_msgs_per_subject: 5, max_age: nanos(86_400_000) }));
    expect(drifts).toEqual([
      expect.objectContaining({ setting: "history", expected: "1", actual: "5", fix: "nats stream edit KV_kiln_registry --max-msgs-per-subject 1 -f" }),
      expect.objectContaining({ setting: "max_age", expected: "0", actual: "1d", fix: "nats stream edit KV_kiln_registry --max-age 0 -f" }),
    ]);
  });

  it("reports a missing bucket and object store", () => {
    expect(bucketDrifts(registry, undefined)[0]).toMatchObject({ resource: "KV bucket kiln_registry", setting: "exists" });
    expect(objectStoreDrifts(artifacts, undefined)[0]).toMatchObject({ resource: "object store kiln_artifacts", setting: "exists" });
  });

  it("reports an object store's replicas with a command on OBJ_<store>", () => {
    const drifts = objectStoreDrifts(artifacts, { storage: StorageType.File, num_replicas: 1 });
    expect(drifts).toEqual([
      expect.objectContaining({ setting: "num_replicas", fix: expect.stringContaining("nats stream edit OBJ_kiln_artifacts --replicas 3") }),
    ]);
  });
});

describe("consumerDrifts", () => {
  const acme = spec.workConsumer("acme");

  it("finds nothing in a consumer created from the spec", () => {
    expect(consumerDrifts(acme, consumerConfig(acme))).toEqual([]);
  });

  it("reports a missing consumer with the advice to start an executor", () => {
    expect(consumerDrifts(acme, undefined)).toEqual([
      expect.objectContaining({
        resource: "consumer KILN_WORK/kiln-work-acme",
        setting: "exists",
        fix: expect.stringContaining("start or restart an executor"),
      }),
    ]);
  });

  it("reports a changed ack_wait with the nats command that restores it", () => {
    expect(consumerDrifts(acme, { ...consumerConfig(acme), ack_wait: nanos(5_000) })).toEqual([
      {
        resource: "consumer KILN_WORK/kiln-work-acme",
        setting: "ack_wait",
        expected: "30s",
        actual: "5s",
        fix: "nats consumer edit KILN_WORK kiln-work-acme --wait 30s -f",
      },
    ]);
  });

  it("reports capped deliveries and pending acks, a wrong filter, and an ack policy only a recreate fixes", () => {
    const actual = { ...consumerConfig(acme), max_ack_pending: 1_000, max_deliver: 5, filter_subject: "kiln.work.>", ack_policy: AckPolicy.All };
    const drifts = consumerDrifts(acme, actual);
    expect(drifts.map((drift) => drift.setting)).toEqual(["filter_subject", "ack_policy", "max_ack_pending", "max_deliver"]);
    expect(drifts[1]?.fix).toContain("nats consumer rm KILN_WORK kiln-work-acme -f");
    expect(drifts[2]?.fix).toBe("nats consumer edit KILN_WORK kiln-work-acme --max-pending -1 -f");
  });

  it("leaves replicas 0 (as many as the stream) to the stream's check", () => {
    expect(consumerDrifts(acme, { ...consumerConfig(acme), num_replicas: 0 })).toEqual([]);
  });
});

describe("unexpectedConsumerDrifts", () => {
  it("reports every durable on the work stream that belongs to no tenant, with the command that removes it", () => {
    const drifts = unexpectedConsumerDrifts("KILN_WORK", ["kiln-work-acme"], ["kiln-work-gone", "kiln-work-acme", "kiln-executors"]);
    expect(drifts.map((drift) => drift.resource)).toEqual(["consumer KILN_WORK/kiln-executors", "consumer KILN_WORK/kiln-work-gone"]);
    expect(drifts[0]).toMatchObject({
      setting: "exists",
      expected: "no",
      actual: "yes",
      fix: expect.stringContaining("nats consumer rm KILN_WORK kiln-executors -f"),
    });
  });
});

describe("formatDurationMs", () => {
  it("writes durations the way the nats CLI reads them", () => {
    expect([0, 1_500, 30_000, 120_000, 3_600_000, 7 * 86_400_000].map(formatDurationMs)).toEqual(["0", "1500ms", "30s", "2m", "1h", "7d"]);
  });
});
