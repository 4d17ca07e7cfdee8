/** Events sent to instances, buffered on `KILN_INBOX` in arrival order until a wait consumes them. */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { Streams, Subjects, type InstanceRef, type WorkflowEvent } from "../contract/mod.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";
import { readSubject } from "./read-subject.ts";

export interface InboxEvent extends WorkflowEvent {
  /** Stream sequence: the event's identity and its place in the order. */
  seq: number;
}

/** What an inbox message holds: the event, and the generation of the run it was sent to. */
interface StoredEvent extends WorkflowEvent {
  /** Absent on events sent by gateways from before generations were stamped: those reach any run. */
  generation?: number;
}

/**
 * Buffers an event for the instance's run of `generation` (its record's when the event was accepted).
 * A restart purges the inbox, but the run it starts may be claimed before that purge (the restart's
 * message goes out first, contract/lifecycle-order.ts): the stamp keeps an older run's events out of it.
 */
export async function sendEvent(js: JetStreamClient, ref: InstanceRef, event: WorkflowEvent, generation: number): Promise<number> {
  const stored: StoredEvent = { ...event, generation };
  const ack = await js.publish(Subjects.inbox(ref), encodeJson(stored));
  return ack.seq;
}

/** Reads every buffered event of the instance's run of `generation`, oldest first. */
export async function readInbox(js: JetStreamClient, ref: InstanceRef, generation: number): Promise<InboxEvent[]> {
  const stored = await readSubject(js, Streams.inbox, Subjects.inbox(ref));
  const events: InboxEvent[] = [];
  for (const message of stored) {
    const { generation: sentTo, ...event } = decodeJson<StoredEvent>(message.data);
    if (sentTo === undefined || sentTo >= generation) events.push({ ...event, seq: message.seq });
  }
  return events;
}

/** Drops the instance's buffered events; with `before`, only those below that stream sequence. */
export async function purgeInbox(jsm: JetStreamManager, ref: InstanceRef, before?: number): Promise<void> {
  await jsm.streams.purge(Streams.inbox, { filter: Subjects.inbox(ref), ...(before === undefined ? {} : { seq: before }) });
}

/** The stream sequence the next event sent to any instance will get: every event sent so far is below it. */
export async function nextInboxSequence(jsm: JetStreamManager): Promise<number> {
  return (await jsm.streams.info(Streams.inbox)).state.last_seq + 1;
}
