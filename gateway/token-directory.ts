/**
 * Which tenant token a request carries, answered from memory: every grant (`token.<hash>`) is
 * followed with a KV watch, so an authenticated request costs no NATS round trip and a revocation on
 * any gateway reaches this one as soon as the watch delivers the delete (milliseconds; the contract
 * allows a second).
 *
 * Only the watch fills the map. A hash it does not hold (a token created a moment ago on another
 * gateway, or before the watch caught up) is read from KV and not cached: caching that read could
 * race the delete of a revocation and keep a revoked token alive. If the watch ever stops, the map is
 * dropped and every lookup reads KV, which is correct, only slower.
 *
 * Memory: one small entry per token of every tenant (~200 bytes; 100,000 tokens ≈ 20 MB).
 */
import type { KV } from "@nats-io/kv";
import { Keys } from "../contract/mod.ts";
import { KvMirror } from "../infra/kv-mirror.ts";
import { parseGrant, type TokenGrant, type TokenStore } from "./token-store.ts";

export interface TokenDirectoryDeps {
  registry: KV;
  store: TokenStore;
  /** The watch stopped: lookups read KV from now on. */
  warn: (message: string) => void;
}

export class TokenDirectory {
  private constructor(
    private readonly grants: KvMirror<TokenGrant>,
    private readonly store: TokenStore,
  ) {}

  /** Starts following the registry's grants; lookups work at once (from KV until the watch catches up). */
  static async open(deps: TokenDirectoryDeps): Promise<TokenDirectory> {
    const grants = await KvMirror.open({ kv: deps.registry, filter: Keys.allTenantTokens, parse: parseGrant, warn: deps.warn });
    return new TokenDirectory(grants, deps.store);
  }

  /** The grant of a token hash; undefined for an unknown or revoked token. */
  async find(hash: string): Promise<TokenGrant | undefined> {
    return this.grants.held(Keys.tenantToken(hash)) ?? (await this.store.grantOf(hash));
  }

  /** Drops a grant this gateway just revoked, without waiting for the watch to report it. */
  forget(hash: string): void {
    this.grants.forget(Keys.tenantToken(hash));
  }

  close(): void {
    this.grants.close();
  }
}
