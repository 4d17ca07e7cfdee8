/**
 * One durable pull consumer per tenant on `KILN_WORK` (`kiln-work-<tenant>`, filtered to the
 * tenant's subjects), shared by all executors, which take work from the tenants in turn. Its settings
 * are `workConsumer` in infra/kiln-resource-spec.ts.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { Streams } from "../contract/mod.ts";
import { consumerConfig, type ConsumerSpec } from "./kiln-resource-spec.ts";

/** The single consumer of earlier versions; its filter overlaps every tenant's, which a work queue refuses. */
const SHARED_WORK_CONSUMER = "kiln-executors";

export async function ensureWorkConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  try {
    await jsm.consumers.info(spec.stream, spec.name);
    return;
  } catch {
    // Missing: create it. Two services racing to create the same config both succeed.
  }
  await jsm.consumers.add(spec.stream, consumerConfig(spec));
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
