/**
 * The raw NATS path a workflow run is built on, for the same work with bare NATS calls: publish an
 * envelope, pull it, 3 KV creates, KV put of the result. The floor of the latency and clients figures.
 */
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";

const FLOOR_STREAM = "BENCH_FLOOR_WORK";
const FLOOR_SUBJECT = "bench.floor.work";
export const RAW_PATH_STEPS = 3;

export interface RawPath extends AsyncDisposable {
  /** One run under `key` (unique per run); concurrent runs pull from the same consumer, as executors do. */
  run(key: string): Promise<void>;
}

export async function openRawPath(nc: NatsConnection): Promise<RawPath> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: FLOOR_STREAM, subjects: [FLOOR_SUBJECT] });
  await jsm.consumers.add(FLOOR_STREAM, { durable_name: "floor", ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(FLOOR_STREAM, "floor");
  const kv = await new Kvm(js).create("bench_floor_path", { history: 1 });
  const envelope = JSON.stringify({
    v: 1,
    tenant: "bench",
    workflow: "bench",
    version: "v",
    instance: "i",
    reason: "start",
    attempt: 1,
    enqueuedAt: Date.now(),
  });
  return {
    async run(key) {
      await js.publish(FLOOR_SUBJECT, envelope);
      const message = await consumer.next({ expires: 5_000 });
      if (!message) throw new Error("the floor's envelope was not delivered");
      for (let step = 0; step < RAW_PATH_STEPS; step++) await kv.create(`${key}.s${step}`, JSON.stringify({ step, result: step }));
      await kv.put(key, JSON.stringify({ status: "complete", output: RAW_PATH_STEPS }));
      message.ack();
    },
    async [Symbol.asyncDispose]() {
      await kv.destroy();
      await jsm.streams.delete(FLOOR_STREAM);
    },
  };
}
