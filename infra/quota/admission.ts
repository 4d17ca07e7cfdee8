/**
 * Whether a tenant may create instances now: one decision over both create limits, so a refused
 * create takes neither a slot nor a token. Pure; the quota store reads the tenant's quota record,
 * asks, and writes the answer with a compare-and-set.
 */
import { ErrorCode, type QuotaRecord, type ResolvedTenantSettings } from "../../contract/mod.ts";
import { liveInstances, reserveSlots } from "./instance-slots.ts";
import { takeTokens } from "./token-bucket.ts";

export type CreateLimits = Pick<ResolvedTenantSettings["limits"], "maxInstances" | "createsPerSecond">;

/** What a request asks for: instances that will be live, and creates that count against the rate. */
export interface AdmissionRequest {
  /** Live instances it adds (a create, or a restart of a final instance). */
  readonly slots: number;
  /** Creates it makes (a restart makes none). */
  readonly creates: number;
}

export type Admission =
  | { readonly admitted: true; readonly next: QuotaRecord }
  | {
      readonly admitted: false;
      readonly code: typeof ErrorCode.tooManyInstances | typeof ErrorCode.createRateExceeded;
      readonly message: string;
      readonly retryAfterMs: number;
    };

/**
 * A full tenant waits for its instances to finish, which nobody can predict: clients are asked to
 * come back after this long rather than spin.
 */
export const INSTANCE_LIMIT_RETRY_AFTER_MS = 5_000;

export function decideAdmission(quota: QuotaRecord, request: AdmissionRequest, limits: CreateLimits, now: number): Admission {
  const live = liveInstances(quota);
  if (request.slots > 0 && live + request.slots > limits.maxInstances) {
    const what = request.slots === 1 ? "one more" : `${request.slots} more`;
    return {
      admitted: false,
      code: ErrorCode.tooManyInstances,
      message:
        `the tenant has ${live} instances that are not finished and limits.maxInstances is ${limits.maxInstances}, so ${what} would exceed it; ` +
        `retry once some complete, error or are terminated, or ask the platform admin to raise limits.maxInstances in the tenant's settings`,
      retryAfterMs: INSTANCE_LIMIT_RETRY_AFTER_MS,
    };
  }
  let next = reserveSlots(quota, request.slots);
  if (request.creates > 0) {
    const take = takeTokens(quota, request.creates, limits.createsPerSecond, now);
    if (!take.taken) {
      const message = take.never
        ? `a batch of ${request.creates} instances exceeds limits.createsPerSecond (${limits.createsPerSecond}) on its own; ` +
          `send batches of at most ${limits.createsPerSecond}, or ask the platform admin to raise limits.createsPerSecond in the tenant's settings`
        : `creates are limited to limits.createsPerSecond (${limits.createsPerSecond}) for this tenant; retry after ${take.retryAfterMs} ms, ` +
          `spread creates out, or ask the platform admin to raise limits.createsPerSecond in the tenant's settings`;
      return { admitted: false, code: ErrorCode.createRateExceeded, message, retryAfterMs: take.retryAfterMs };
    }
    next = { ...next, tokens: take.bucket.tokens, refilledAt: take.bucket.refilledAt };
  }
  return { admitted: true, next };
}
