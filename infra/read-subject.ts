/** Reads every message stored on one subject of a stream, oldest first, with a throwaway consumer. */
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";

export interface StoredMessage {
  seq: number;
  data: Uint8Array;
}

export async function readSubject(js: JetStreamClient, stream: string, subject: string): Promise<StoredMessage[]> {
  const consumer = await js.consumers.get(stream, {
    // A single subject as a string: nats-server 2.9 has no multi-filter consumers.
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const pending = (await consumer.info(true)).num_pending;
  const stored: StoredMessage[] = [];
  if (pending > 0) {
    for await (const message of await consumer.fetch({ max_messages: pending, expires: 5_000 })) {
      stored.push({ seq: message.seq, data: message.data });
      if (message.info.pending === 0) break;
    }
  }
  await consumer.delete().catch(() => undefined);
  return stored;
}
