/** Events sent to instances, buffered on `KILN_INBOX` in arrival order until a wait consumes them. */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Streams, Subjects, type WorkflowEvent } from "../contract/mod.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";

export interface InboxEvent extends WorkflowEvent {
  /** Stream sequence: the event's identity and its place in the order. */
  seq: number;
}

export async function sendEvent(js: JetStreamClient, tenant: string, instance: string, event: WorkflowEvent): Promise<number> {
  const ack = await js.publish(Subjects.inbox(tenant, instance), encodeJson(event));
  return ack.seq;
}

/** Reads every buffered event of an instance, oldest first. */
export async function readInbox(js: JetStreamClient, tenant: string, instance: string): Promise<InboxEvent[]> {
  const consumer = await js.consumers.get(Streams.inbox, {
    // A single subject as a string: nats-server 2.9 has no multi-filter consumers.
    filter_subjects: Subjects.inbox(tenant, instance),
    deliver_policy: DeliverPolicy.All,
  });
  const pending = (await consumer.info(true)).num_pending;
  const events: InboxEvent[] = [];
  if (pending > 0) {
    const messages = await consumer.fetch({ max_messages: pending, expires: 5_000 });
    for await (const message of messages) {
      events.push({ ...decodeJson<WorkflowEvent>(message.data), seq: message.seq });
      if (message.info.pending === 0) break;
    }
  }
  await consumer.delete().catch(() => undefined);
  return events;
}

export async function purgeInbox(jsm: JetStreamManager, tenant: string, instance: string): Promise<void> {
  await jsm.streams.purge(Streams.inbox, { filter: Subjects.inbox(tenant, instance) });
}
