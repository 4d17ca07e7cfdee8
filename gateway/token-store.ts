/**
 * Tenant tokens in `kiln_registry`, stored as SHA-256 hashes only. Each token has two entries:
 * - `token.<hash>` → its grant `{ tenant, name, scopes }`: what authenticates a request;
 * - `token-name.<tenant>.<name>` → `{ name, scopes, createdAt, hash, lastUsedAt? }`: for listing and
 *   revoking by name.
 * Both are written when a token is created and never change after, except `lastUsedAt`. Revoking
 * deletes the grant first, so a token stops working before it disappears from the list.
 */
import type { KV } from "@nats-io/kv";
import { z } from "zod";
import { Keys, normalizeScopes, TOKEN_SCOPES, type TokenScope } from "../contract/mod.ts";
import { AlreadyExistsError, isWrongLastSequence } from "../infra/errors.ts";
import { decodeJson, encodeJson } from "../infra/json-codec.ts";
import { sha256Hex } from "../infra/sha256.ts";

/** What a tenant token allows, as read on every request. */
export interface TokenGrant {
  readonly tenant: string;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
}

export interface TokenRecord {
  name: string;
  scopes: TokenScope[];
  createdAt: number;
  /** SHA-256 of the token, so revoking by name finds its grant. */
  hash: string;
  /** Recorded at most once per `TOKEN_USE_RECORD_INTERVAL_MS` per gateway (token-usage.ts). */
  lastUsedAt?: number;
}

/** A grant as stored; one written before tokens had names and scopes (`{ tenant }`) does not parse. */
const grantSchema = z.object({ tenant: z.string(), name: z.string(), scopes: z.array(z.enum(TOKEN_SCOPES)) });

export const hashToken = (token: string): Promise<string> => sha256Hex(token);

/** 24 random bytes: guessing one is hopeless, so a plain hash (no salt, no slow KDF) is enough to store. */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `kiln_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** The grant a stored `token.<hash>` value holds, or undefined for a deleted or outdated one. */
export function parseGrant(value: Uint8Array): TokenGrant | undefined {
  const parsed = grantSchema.safeParse(decodeJson<unknown>(value));
  return parsed.success ? parsed.data : undefined;
}

export class TokenStore {
  constructor(private readonly kv: KV) {}

  /** A new token, returned once; `AlreadyExistsError` if the tenant has a token of that name. */
  async create(tenant: string, name: string, scopes: readonly TokenScope[]): Promise<{ token: string; record: TokenRecord }> {
    const token = newToken();
    const hash = await hashToken(token);
    const record: TokenRecord = { name, scopes: normalizeScopes(scopes), createdAt: Date.now(), hash };
    try {
      // The name entry first: `create` is the one atomic check that the name is free.
      await this.kv.create(Keys.tokenName(tenant, name), encodeJson(record));
    } catch (error) {
      if (isWrongLastSequence(error)) throw new AlreadyExistsError(`tenant '${tenant}' already has a token named '${name}'`);
      throw error;
    }
    const grant: TokenGrant = { tenant, name, scopes: record.scopes };
    await this.kv.put(Keys.tenantToken(hash), encodeJson(grant));
    return { token, record };
  }

  async get(tenant: string, name: string): Promise<{ record: TokenRecord; revision: number } | undefined> {
    const entry = await this.kv.get(Keys.tokenName(tenant, name));
    if (entry?.operation !== "PUT") return undefined;
    return { record: decodeJson<TokenRecord>(entry.value), revision: entry.revision };
  }

  /** The tenant's tokens, by name. */
  async list(tenant: string): Promise<TokenRecord[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(Keys.tokenNamesOfTenant(tenant))) keys.push(key);
    keys.sort();
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)));
    return entries.flatMap((entry) => (entry?.operation === "PUT" ? [decodeJson<TokenRecord>(entry.value)] : []));
  }

  /** Revokes the named token; answers its hash (so caches can drop it), or undefined if there was none. */
  async revoke(tenant: string, name: string): Promise<string | undefined> {
    const found = await this.get(tenant, name);
    if (!found) return undefined;
    await this.kv.delete(Keys.tenantToken(found.record.hash));
    await this.kv.delete(Keys.tokenName(tenant, name));
    return found.record.hash;
  }

  /** The grant of a token hash, read from KV. */
  async grantOf(hash: string): Promise<TokenGrant | undefined> {
    const entry = await this.kv.get(Keys.tenantToken(hash));
    return entry?.operation === "PUT" ? parseGrant(entry.value) : undefined;
  }

  /**
   * Records that the token was used at `atMs`. A compare-and-set on the name entry, so it can never
   * bring back a token revoked meanwhile, nor touch a newer token that took the same name.
   */
  async recordUse(grant: TokenGrant, hash: string, atMs: number): Promise<void> {
    const found = await this.get(grant.tenant, grant.name);
    if (!found || found.record.hash !== hash || (found.record.lastUsedAt ?? 0) >= atMs) return;
    try {
      await this.kv.update(Keys.tokenName(grant.tenant, grant.name), encodeJson({ ...found.record, lastUsedAt: atMs }), found.revision);
    } catch (error) {
      // Revoked, or another gateway recorded a use meanwhile: either way nothing is left to record.
      if (!isWrongLastSequence(error)) throw error;
    }
  }
}
