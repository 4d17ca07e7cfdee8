/** Per-tenant queue depth for the metrics: what each tenant's work consumer still has to deliver. */
import type { JetStreamManager } from "@nats-io/jetstream";
import { Streams, workConsumer } from "../contract/mod.ts";

/**
 * Asks NATS for `num_pending` of each tenant's work consumer, in parallel. A tenant whose answer
 * fails (NATS away, consumer being recreated) is left out rather than failing the whole scrape.
 */
export async function sampleQueueDepths(jsm: JetStreamManager, tenants: readonly string[]): Promise<ReadonlyMap<string, number>> {
  const answers = await Promise.allSettled(
    tenants.map(async (tenant) => [tenant, (await jsm.consumers.info(Streams.work, workConsumer(tenant))).num_pending] as const),
  );
  return new Map(answers.flatMap((answer) => (answer.status === "fulfilled" ? [answer.value] : [])));
}
