/** Publishing envelopes to `KILN_WORK`, and taking back a start whose create did not complete. */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { encodeEnvelope, Streams, Subjects, type Envelope } from "../contract/mod.ts";

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

/**
 * Deletes the work message at `seq`: `true` if this call removed it, `false` if it was gone already.
 * Only one caller can remove a message, so the one that did may act once for it: the gateway and the
 * executors give back the quota slot of a start whose create did not complete this way
 * (contract/create-order.ts), and never both. The message is not erased, only removed (cheaper).
 */
export async function withdrawWork(jsm: JetStreamManager, seq: number): Promise<boolean> {
  try {
    return await jsm.streams.deleteMessage(Streams.work, seq, false);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) return false;
    throw error;
  }
}
