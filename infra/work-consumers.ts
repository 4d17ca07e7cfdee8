/**
 * One durable pull consumer per tenant on `KILN_WORK` (`kiln-work-<tenant>`, filtered to the
 * tenant's subjects), shared by all executors, which take work from the tenants in turn.
 */
import { AckPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { Streams, Subjects, workConsumer } from "../contract/mod.ts";
import { nanos } from "./nats-duration.ts";

export interface WorkConsumerOptions {
  /** How long an executor may hold a message without a progress signal before NATS redelivers it. */
  ackWaitMs: number;
  replicas: number;
}

/** The single consumer of earlier versions; its filter overlaps every tenant's, which a work queue refuses. */
const SHARED_WORK_CONSUMER = "kiln-executors";

export async function ensureWorkConsumer(jsm: JetStreamManager, tenant: string, options: WorkConsumerOptions): Promise<void> {
  const name = workConsumer(tenant);
  try {
    await jsm.consumers.info(Streams.work, name);
    return;
  } catch {
    // Missing: create it. Two services racing to create the same config both succeed.
  }
  await jsm.consumers.add(Streams.work, {
    durable_name: name,
    filter_subject: Subjects.workOfTenant(tenant),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitMs),
    // Suspended instances park their timer message in the consumer (nak with delay), so neither
    // the number of outstanding messages nor the number of deliveries may be capped.
    max_ack_pending: -1,
    max_deliver: -1,
    num_replicas: options.replicas,
  });
}

/**
 * Removes the shared consumer of earlier versions. Its unacknowledged messages stay in the stream and
 * go to the tenants' consumers; a parked timer that comes back early is parked again by the executor.
 */
export async function dropSharedWorkConsumer(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.consumers.delete(Streams.work, SHARED_WORK_CONSUMER);
  } catch {
    // Not there: nothing to migrate.
  }
}
