/** Creates many instances through the batch API (100 per request, a few requests in flight). */
import type { TenantClient } from "../kiln-client.ts";

const BATCH = 100;
const REQUESTS_IN_FLIGHT = 4;

export async function createMany(tenant: TenantClient, workflow: string, ids: readonly string[], params: unknown): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH));
  let next = 0;
  await Promise.all(
    Array.from({ length: REQUESTS_IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await tenant.createBatch(
          workflow,
          batch.map((id) => ({ id, params })),
        );
      }
    }),
  );
}
