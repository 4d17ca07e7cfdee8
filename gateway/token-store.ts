/**
 * Tenant tokens in `kiln_registry`, stored as SHA-256 hashes only:
 * - `token.<hash>` → its grant `{ tenant, name, scopes }`: what authenticates a request;
 * - `token-index.<tenant>` → `{ tokens: [{ name, scopes, createdAt, hash }] }`: the tenant's tokens by
 *   name, changed by compare-and-set, so a duplicate name and the per-tenant limit are checked
 *   exactly, and listing is one read;
 * - `token-use.<tenant>.<name>` → `{ hash, atMs }`: the last recorded use, apart from the index so
 *   that frequent writes never contend with it (token-usage.ts decides how often).
 *
 * No prefix scans: on nats-server 2.9 a consumer listing keys while one of them is rewritten was seen
 * to deliver nothing (30 s stalls of the KV client's `keys()`), and `lastUsedAt` rewrites often.
 * Revoking deletes the grant first, so a token stops working before it leaves the list.
 */
import type { KV } from "@nats-io/kv";
import { createHash } from "node:crypto";
import { z } from "zod";
import { Keys, normalizeScopes, TOKEN_SCOPES, type TokenScope } from "../contract/mod.ts";
import { AlreadyExistsError, isWrongLastSequence, LimitReachedError, RevisionConflictError } from "../infra/errors.ts";
import { decodeJson, encodeJson } from "../infra/json-codec.ts";

/**
 * Every gateway keeps every grant in memory (token-directory.ts) and the index is one document, so a
 * tenant may not mint tokens without end.
 */
export const MAX_TOKENS_PER_TENANT = 100;

/** Compare-and-set attempts before giving up on an index that keeps changing. */
const MAX_INDEX_ATTEMPTS = 20;

/** What a tenant token allows, as read on every request. */
export interface TokenGrant {
  readonly tenant: string;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
}

/** A token as the tenant's index holds it. */
interface IndexedToken {
  name: string;
  scopes: TokenScope[];
  createdAt: number;
  /** SHA-256 of the token, so revoking by name finds its grant. */
  hash: string;
}

export interface TokenRecord extends IndexedToken {
  /** The last recorded use, at most `TOKEN_USE_RECORD_INTERVAL_MS` old per gateway (token-usage.ts). */
  lastUsedAt?: number;
}

interface TokenIndex {
  /** Sorted by name. */
  tokens: IndexedToken[];
}

interface TokenUse {
  /** The token the use belongs to: a revoked token's late write must not show on a new one of the same name. */
  hash: string;
  atMs: number;
}

/** A grant as stored; one written before tokens had names and scopes (`{ tenant }`) does not parse. */
const grantSchema = z.object({ tenant: z.string(), name: z.string(), scopes: z.array(z.enum(TOKEN_SCOPES)) });

/**
 * Every tenant request hashes its token, so synchronously with node:crypto (Node and Deno): 1–3 µs
 * against 20–30 µs of CPU for Web Crypto's async digest, measured on Node 20 here, which was the
 * gateway's largest own item in a CPU profile of the 32-clients bench (docs/bench/README.md).
 */
export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** 24 random bytes: guessing one is hopeless, so a plain hash (no salt, no slow KDF) is enough to store. */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `kiln_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** The grant a stored `token.<hash>` value holds, or undefined for an outdated one. */
export function parseGrant(value: Uint8Array): TokenGrant | undefined {
  const parsed = grantSchema.safeParse(decodeJson<unknown>(value));
  return parsed.success ? parsed.data : undefined;
}

export class TokenStore {
  constructor(private readonly kv: KV) {}

  /**
   * A new token, returned once. `AlreadyExistsError` if the tenant has a token of that name,
   * `LimitReachedError` if it has `MAX_TOKENS_PER_TENANT`.
   */
  async create(tenant: string, name: string, scopes: readonly TokenScope[]): Promise<{ token: string; record: TokenRecord }> {
    const token = newToken();
    const indexed: IndexedToken = { name, scopes: normalizeScopes(scopes), createdAt: Date.now(), hash: hashToken(token) };
    await this.changeIndex(tenant, (index) => {
      if (index.tokens.some((known) => known.name === name)) throw new AlreadyExistsError(`tenant '${tenant}' already has a token named '${name}'`);
      if (index.tokens.length >= MAX_TOKENS_PER_TENANT)
        throw new LimitReachedError(`tenant '${tenant}' has ${MAX_TOKENS_PER_TENANT} tokens, the most it may have`);
      return { tokens: [...index.tokens, indexed].sort(byName) };
    });
    const grant: TokenGrant = { tenant, name, scopes: indexed.scopes };
    await this.kv.put(Keys.tenantToken(indexed.hash), encodeJson(grant));
    return { token, record: indexed };
  }

  async get(tenant: string, name: string): Promise<TokenRecord | undefined> {
    const indexed = (await this.readIndex(tenant)).index.tokens.find((known) => known.name === name);
    return indexed && this.withLastUse(tenant, indexed);
  }

  /** The tenant's tokens, by name. */
  async list(tenant: string): Promise<TokenRecord[]> {
    const { index } = await this.readIndex(tenant);
    return Promise.all(index.tokens.map((indexed) => this.withLastUse(tenant, indexed)));
  }

  /** Revokes the named token; answers its hash (so caches can drop it), or undefined if there was none. */
  async revoke(tenant: string, name: string): Promise<string | undefined> {
    let revoked: IndexedToken | undefined;
    await this.changeIndex(tenant, async (index) => {
      revoked = index.tokens.find((known) => known.name === name);
      if (!revoked) return undefined;
      // The grant goes first: from here the token authenticates nothing, whatever happens next.
      await this.kv.delete(Keys.tenantToken(revoked.hash));
      return { tokens: index.tokens.filter((known) => known !== revoked) };
    });
    if (!revoked) return undefined;
    await this.kv.delete(Keys.tokenUse(tenant, name));
    return revoked.hash;
  }

  /** The grant of a token hash, read from KV. */
  async grantOf(hash: string): Promise<TokenGrant | undefined> {
    const entry = await this.kv.get(Keys.tenantToken(hash));
    return entry?.operation === "PUT" ? parseGrant(entry.value) : undefined;
  }

  /** Records that the token was used at `atMs`: one put, which never affects whether the token works. */
  async recordUse(grant: TokenGrant, hash: string, atMs: number): Promise<void> {
    const use: TokenUse = { hash, atMs };
    await this.kv.put(Keys.tokenUse(grant.tenant, grant.name), encodeJson(use));
  }

  private async withLastUse(tenant: string, indexed: IndexedToken): Promise<TokenRecord> {
    const entry = await this.kv.get(Keys.tokenUse(tenant, indexed.name));
    const use = entry?.operation === "PUT" ? decodeJson<TokenUse>(entry.value) : undefined;
    return use?.hash === indexed.hash ? { ...indexed, lastUsedAt: use.atMs } : indexed;
  }

  private async readIndex(tenant: string): Promise<{ index: TokenIndex; revision: number | undefined }> {
    const entry = await this.kv.get(Keys.tokenIndex(tenant));
    if (entry?.operation !== "PUT") return { index: { tokens: [] }, revision: undefined };
    return { index: decodeJson<TokenIndex>(entry.value), revision: entry.revision };
  }

  /** Applies `change` to the tenant's index by compare-and-set, re-reading it on a conflict; `undefined` changes nothing. */
  private async changeIndex(tenant: string, change: (index: TokenIndex) => TokenIndex | undefined | Promise<TokenIndex | undefined>): Promise<void> {
    for (let attempt = 0; attempt < MAX_INDEX_ATTEMPTS; attempt++) {
      const { index, revision } = await this.readIndex(tenant);
      const next = await change(index);
      if (!next) return;
      try {
        if (revision === undefined) await this.kv.create(Keys.tokenIndex(tenant), encodeJson(next));
        else await this.kv.update(Keys.tokenIndex(tenant), encodeJson(next), revision);
        return;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
    throw new RevisionConflictError(`the tokens of tenant '${tenant}' kept changing; try again`);
  }
}

const byName = (a: IndexedToken, b: IndexedToken) => (a.name < b.name ? -1 : 1);
