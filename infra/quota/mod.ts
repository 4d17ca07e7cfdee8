/**
 * Per-tenant create limits (`limits.maxInstances`, `limits.createsPerSecond`) kept in `kiln_quotas`:
 * the gateway reserves before it creates, whoever makes an instance final releases.
 *
 *   const quotas = await openQuotaStore(resources, warn);
 *   const admission = await quotas.reserve(tenant, { slots: 1, creates: 1 }, limits);
 *   if (becomesFinal(current, next)) await quotas.release(tenant, 1);
 */
import type { KilnResources } from "../kiln-resources.ts";
import { liveInstanceCounter } from "./count-live-instances.ts";
import { QuotaStore } from "./quota-store.ts";

export type { Admission, AdmissionRequest, CreateLimits } from "./admission.ts";
export { becomesFinal } from "./instance-slots.ts";
export type { QuotaStore } from "./quota-store.ts";

/**
 * The quota store over Kiln's resources, holding the records by a watch and counting live instances
 * from `kiln_instances` when it must. `warn` hears if the watch stops (every change then reads first).
 */
export function openQuotaStore(resources: Pick<KilnResources, "quotas" | "js" | "jsm">, warn: (message: string) => void): Promise<QuotaStore> {
  return QuotaStore.open(resources.quotas, { countLive: liveInstanceCounter(resources.js, resources.jsm) }, warn);
}
