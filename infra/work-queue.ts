/** Publishing envelopes to `KILN_WORK`. */
import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeEnvelope, Subjects, type Envelope } from "../contract/mod.ts";

/**
 * Publishes an envelope and waits for the stream's ack. `dedupeId` makes a retried publish of the
 * same logical request land once (within the stream's duplicate window).
 */
export async function enqueue(js: JetStreamClient, envelope: Envelope, dedupeId?: string): Promise<number> {
  const ack = await js.publish(
    Subjects.work(envelope.tenant, envelope.workflow),
    encodeEnvelope(envelope),
    dedupeId === undefined ? undefined : { msgID: dedupeId },
  );
  return ack.seq;
}
