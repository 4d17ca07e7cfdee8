/**
 * `lastUsedAt` of tenant tokens, kept cheap: a gateway records a token's use at most once per
 * `TOKEN_USE_RECORD_INTERVAL_MS`, in the background, so a request never waits on it and a busy token
 * costs one KV read and write a minute per gateway, not one per request. The time shown is therefore
 * up to that interval old (the first use a gateway sees is recorded at once).
 */
import type { TokenGrant, TokenStore } from "./token-store.ts";

/** @default one minute */
export const TOKEN_USE_RECORD_INTERVAL_MS = 60_000;

/** Whether a use at `nowMs` should be written, given when this gateway last wrote one. */
const shouldRecordUse = (lastRecordedMs: number | undefined, nowMs: number, intervalMs: number): boolean =>
  lastRecordedMs === undefined || nowMs - lastRecordedMs >= intervalMs;

export class TokenUsage {
  /** When this gateway last recorded each token's use, by hash: one number per token it has seen. */
  private readonly recordedAtMs = new Map<string, number>();

  constructor(
    private readonly store: TokenStore,
    private readonly warn: (message: string) => void,
    private readonly intervalMs = TOKEN_USE_RECORD_INTERVAL_MS,
  ) {}

  used(grant: TokenGrant, hash: string, nowMs = Date.now()): void {
    if (!shouldRecordUse(this.recordedAtMs.get(hash), nowMs, this.intervalMs)) return;
    this.recordedAtMs.set(hash, nowMs);
    // Advisory: a lost write only leaves `lastUsedAt` older, and the next interval writes again.
    this.store.recordUse(grant, hash, nowMs).catch((error: unknown) => {
      this.warn(`could not record the use of token '${grant.name}' of tenant '${grant.tenant}': ${String(error)}`);
    });
  }
}
