/**
 * Tenant secrets in `kiln_registry` (`secret.<tenant>.<name>`), write-only over the API: a value is
 * sealed (infra/secrets-cipher.ts) before it is stored and is never read back here. Listing shows
 * names and update times, which the sealed record carries in the clear.
 */
import type { KV } from "@nats-io/kv";
import { Keys } from "../contract/mod.ts";
import { decodeJson, encodeJson } from "../infra/json-codec.ts";
import { sealedSecretSchema, type SecretsCipher } from "../infra/secrets-cipher.ts";

export interface SecretListing {
  name: string;
  updatedAt: number;
}

export class SecretStore {
  constructor(
    private readonly kv: KV,
    private readonly cipher: SecretsCipher,
  ) {}

  async put(tenant: string, name: string, value: string): Promise<void> {
    await this.kv.put(Keys.secret(tenant, name), encodeJson(await this.cipher.seal(tenant, name, value)));
  }

  /** Whether there was such a secret. */
  async delete(tenant: string, name: string): Promise<boolean> {
    const entry = await this.kv.get(Keys.secret(tenant, name));
    if (entry?.operation !== "PUT") return false;
    await this.kv.delete(Keys.secret(tenant, name));
    return true;
  }

  /** One secret's name and update time, never its value; `undefined` if there is none. */
  async describe(tenant: string, name: string): Promise<SecretListing | undefined> {
    const entry = await this.kv.get(Keys.secret(tenant, name));
    if (entry?.operation !== "PUT") return undefined;
    return listing(name, entry.value, entry.created);
  }

  /** The tenant's secrets by name, without their values. */
  async list(tenant: string): Promise<SecretListing[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(Keys.secretsOfTenant(tenant))) keys.push(key);
    keys.sort();
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)));
    return entries.flatMap((entry) => {
      if (entry?.operation !== "PUT") return [];
      return [listing(entry.key.slice(Keys.secret(tenant, "").length), entry.value, entry.created)];
    });
  }
}

/** What the API shows of a stored secret: the sealed record carries its update time in the clear. */
function listing(name: string, stored: Uint8Array, created: Date): SecretListing {
  const sealed = sealedSecretSchema.safeParse(decodeJson<unknown>(stored));
  return { name, updatedAt: sealed.success ? sealed.data.updatedAt : created.getTime() };
}
