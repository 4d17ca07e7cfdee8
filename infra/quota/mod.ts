/**
 * Per-tenant create limits (`limits.maxInstances`, `limits.createsPerSecond`) kept in `kiln_quotas`:
 * the gateway reserves before it creates, whoever makes an instance final releases.
 *
 *   const quotas = await openQuotaStore(resources, warn); // a gateway; an executor passes no `warn`
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
 * The quota store over Kiln's resources, counting live instances from `kiln_instances` when it must.
 * With `warn`, it holds every tenant's record by a watch (gateways: a create's reserve is then one
 * update, see quota-store.ts); `warn` hears if the watch stops. Executors open it without: each
 * quota change would otherwise reach every executor of the cluster, and an executor only releases,
 * which reads the record first either way.
 */
export function openQuotaStore(resources: Pick<KilnResources, "quotas" | "js" | "jsm">, warn?: (message: string) => void): Promise<QuotaStore> {
  const options = { countLive: liveInstanceCounter(resources.js, resources.jsm) };
  return warn ? QuotaStore.open(resources.quotas, options, warn) : Promise.resolve(new QuotaStore(resources.quotas, options));
}
