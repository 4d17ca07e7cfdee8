/**
 * The per-tenant quota record in `kiln_quotas` (key from `Keys.quota`): how many instances the
 * tenant has that are not final, and its create rate budget. Gateways reserve from it and whoever
 * makes an instance final releases into it, each with a compare-and-set on the KV revision, so the
 * count holds across every gateway and executor.
 *
 * Live instances are `admitted - released`, two counters that only grow: a reconciliation can then
 * tell the slots admitted while it counted from those it saw (see `infra/quota/instance-slots.ts`).
 */
export interface QuotaRecord {
  readonly v: 1;
  /** Slots ever reserved: creates, and restarts of final instances. */
  readonly admitted: number;
  /** Slots ever given back: instances made final, and reservations whose create failed. */
  readonly released: number;
  /** Creates the token bucket allows right now (fractional: it refills continuously). */
  readonly tokens: number;
  /** When `tokens` was last brought up to date, in ms since the epoch. */
  readonly refilledAt: number;
  /** When a gateway last started recounting the live instances (or created the record), in ms since the epoch. */
  readonly reconciledAt: number;
  /**
   * When the latest recount began, 0 if none did since the record was created (whose count was
   * taken before any of its reservations). Absent in records from before it: `reconciledAt` stands in.
   */
  readonly recountedAt?: number;
}
