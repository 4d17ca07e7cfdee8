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
import { ensureError, Keys } from "../contract/mod.ts";
import { parseGrant, type TokenGrant, type TokenStore } from "./token-store.ts";

export interface TokenDirectoryDeps {
  registry: KV;
  store: TokenStore;
  /** The watch stopped: lookups read KV from now on. */
  warn: (message: string) => void;
}

export class TokenDirectory {
  private readonly grants = new Map<string, TokenGrant>();
  private watching = false;
  private stopWatch: () => void = () => undefined;

  private constructor(private readonly deps: TokenDirectoryDeps) {}

  /** Starts following the registry's grants; lookups work at once (from KV until the watch catches up). */
  static async open(deps: TokenDirectoryDeps): Promise<TokenDirectory> {
    const directory = new TokenDirectory(deps);
    await directory.follow();
    return directory;
  }

  /** The grant of a token hash; undefined for an unknown or revoked token. */
  async find(hash: string): Promise<TokenGrant | undefined> {
    return (this.watching ? this.grants.get(hash) : undefined) ?? (await this.deps.store.grantOf(hash));
  }

  /** Drops a grant this gateway just revoked, without waiting for the watch to report it. */
  forget(hash: string): void {
    this.grants.delete(hash);
  }

  close(): void {
    this.watching = false;
    this.stopWatch();
  }

  private async follow(): Promise<void> {
    const updates = await this.deps.registry.watch({ key: Keys.allTenantTokens });
    this.stopWatch = () => updates.stop();
    this.watching = true;
    const prefixLength = Keys.tenantToken("").length;
    void (async () => {
      let failure = "it ended";
      try {
        for await (const entry of updates) {
          const hash = entry.key.slice(prefixLength);
          const grant = entry.operation === "PUT" ? parseGrant(entry.value) : undefined;
          if (grant) this.grants.set(hash, grant);
          else this.grants.delete(hash);
        }
      } catch (error) {
        failure = ensureError(error).message;
      } finally {
        const unexpected = this.watching;
        this.watching = false;
        this.grants.clear();
        if (unexpected) this.deps.warn(`stopped following token grants in the registry (${failure}): every request now reads its token from KV`);
      }
    })();
  }
}
