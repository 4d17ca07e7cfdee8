/** An instance's log lines from `KILN_LOGS`: the stored ones, then (when following) new ones live. */
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { Streams, Subjects, type LogLine } from "../contract/mod.ts";
import { decodeJson } from "../infra/json-codec.ts";
import { readSubject } from "../infra/read-subject.ts";

/** A line as stored and as served: the contract's wire shape, which the client reads. */
export type StoredLogLine = LogLine;

export async function readLogs(js: JetStreamClient, tenant: string, workflow: string, instance: string, limit: number): Promise<StoredLogLine[]> {
  const stored = await readSubject(js, Streams.logs, Subjects.logs(tenant, workflow, instance));
  return stored.slice(-limit).map((message) => decodeJson<StoredLogLine>(message.data));
}

/** Yields every stored line, then new ones as they arrive, until `signal` aborts. */
export async function* followLogs(js: JetStreamClient, tenant: string, workflow: string, instance: string, signal: AbortSignal): AsyncGenerator<StoredLogLine> {
  const consumer = await js.consumers.get(Streams.logs, {
    // A single subject as a string: nats-server 2.9 has no multi-filter consumers.
    filter_subjects: Subjects.logs(tenant, workflow, instance),
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const stop = () => void messages.close();
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const message of messages) yield decodeJson<StoredLogLine>(message.data);
  } finally {
    signal.removeEventListener("abort", stop);
    await consumer.delete().catch(() => undefined);
  }
}
