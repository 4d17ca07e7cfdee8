/** Events sent to instances, buffered on `KILN_INBOX` in arrival order until a wait consumes them. */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { Streams, Subjects, type InstanceRef, type WorkflowEvent } from "../contract/mod.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";
import { readSubject } from "./read-subject.ts";

export interface InboxEvent extends WorkflowEvent {
  /** Stream sequence: the event's identity and its place in the order. */
  seq: number;
}

export async function sendEvent(js: JetStreamClient, ref: InstanceRef, event: WorkflowEvent): Promise<number> {
  const ack = await js.publish(Subjects.inbox(ref), encodeJson(event));
  return ack.seq;
}

/** Reads every buffered event of an instance, oldest first. */
export async function readInbox(js: JetStreamClient, ref: InstanceRef): Promise<InboxEvent[]> {
  const stored = await readSubject(js, Streams.inbox, Subjects.inbox(ref));
  return stored.map((message) => ({ ...decodeJson<WorkflowEvent>(message.data), seq: message.seq }));
}

export async function purgeInbox(jsm: JetStreamManager, ref: InstanceRef): Promise<void> {
  await jsm.streams.purge(Streams.inbox, { filter: Subjects.inbox(ref) });
}
