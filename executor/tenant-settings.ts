/**
 * Every tenant's settings and decrypted secrets, followed live from `kiln_registry` (`settings.<tenant>`,
 * `secret.<tenant>.<name>`) with KV watches, so an admin's change reaches a running executor within a
 * second and without a restart. Reads are synchronous from memory: an activation never waits on NATS
 * for its settings.
 *
 * Plaintext secrets live only here, in this process's memory, and travel to the sandbox in the
 * activation request; they are never written anywhere.
 */
import type { KV, KvWatchEntry } from "@nats-io/kv";
import { ensureError, Keys, resolveSettings, tenantSettingsSchema, type ResolvedTenantSettings } from "../contract/mod.ts";
import { decodeJson } from "../infra/json-codec.ts";
import { sealedSecretSchema, type SecretsCipher } from "../infra/secrets-cipher.ts";

export interface TenantSettingsBoardDeps {
  registry: KV;
  cipher: SecretsCipher;
  /** A stored value that cannot be used (invalid settings, a secret that does not decrypt). */
  warn: (message: string) => void;
}

const DEFAULT_SETTINGS = resolveSettings(undefined);

export class TenantSettingsBoard {
  private readonly resolved = new Map<string, ResolvedTenantSettings>();
  /** Decrypted secrets by tenant, then name. */
  private readonly secretValues = new Map<string, Map<string, string>>();
  /** `secrets()` answers, rebuilt only when a tenant's secrets change. */
  private readonly secretViews = new Map<string, Readonly<Record<string, string>>>();
  private readonly watchers: { stop(): void }[] = [];
  private stopped = false;

  private constructor(private readonly deps: TenantSettingsBoardDeps) {}

  /** Loads every tenant's settings and secrets, then keeps following them until `close`. */
  static async open(deps: TenantSettingsBoardDeps): Promise<TenantSettingsBoard> {
    const board = new TenantSettingsBoard(deps);
    try {
      await Promise.all([
        board.follow(Keys.allTenantSettings, (entry) => board.applySettings(entry)),
        board.follow(Keys.allSecrets, (entry) => board.applySecret(entry)),
      ]);
    } catch (error) {
      board.close();
      throw error;
    }
    return board;
  }

  /** The tenant's settings with defaults filled in (all defaults for a tenant that never set any). */
  settings(tenant: string): ResolvedTenantSettings {
    return this.resolved.get(tenant) ?? DEFAULT_SETTINGS;
  }

  /** The tenant's secrets, decrypted, by name. */
  secrets(tenant: string): Readonly<Record<string, string>> {
    let view = this.secretViews.get(tenant);
    if (view === undefined) {
      view = Object.freeze(Object.fromEntries(this.secretValues.get(tenant) ?? []));
      this.secretViews.set(tenant, view);
    }
    return view;
  }

  close(): void {
    this.stopped = true;
    for (const watcher of this.watchers) watcher.stop();
  }

  /**
   * Watches `key` and resolves once the values stored when it started are applied. The watch reports
   * where its initial values end only when there are some, so the keys are counted first: a key
   * written in between just arrives as one more entry.
   */
  private async follow(key: string, apply: (entry: KvWatchEntry) => Promise<void> | void): Promise<void> {
    const { registry, warn } = this.deps;
    let expected = 0;
    for await (const _ of await registry.keys(key)) expected++;
    const updates = await registry.watch({ key });
    this.watchers.push(updates);
    if (this.stopped) updates.stop();
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    if (expected === 0) markReady();
    void (async () => {
      let seen = 0;
      for await (const entry of updates) {
        try {
          await apply(entry);
        } catch (error) {
          warn(`ignoring registry entry '${entry.key}': ${(error as Error).message}`);
        }
        if (++seen >= expected || entry.isUpdate) markReady();
      }
      markReady();
      if (!this.stopped) warn(`stopped following '${key}' in the registry: settings and secrets changed from now on are not seen until a restart`);
    })();
    await ready;
  }

  private applySettings(entry: KvWatchEntry): void {
    const tenant = entry.key.slice(Keys.tenantSettings("").length); // `settings.<tenant>`
    if (entry.operation !== "PUT") {
      this.resolved.delete(tenant);
      return;
    }
    const parsed = tenantSettingsSchema.safeParse(decodeJson<unknown>(entry.value));
    if (!parsed.success) {
      // Safe side: defaults allow no egress and the smallest limits; the admin's next PUT repairs it.
      this.resolved.delete(tenant);
      throw new Error(`tenant '${tenant}' has invalid stored settings (${parsed.error.issues[0]?.message}); using the defaults until they are set again`);
    }
    this.resolved.set(tenant, resolveSettings(parsed.data));
  }

  private async applySecret(entry: KvWatchEntry): Promise<void> {
    // `secret.<tenant>.<name>`: neither name holds a dot (TENANT_NAME, SECRET_NAME).
    const [, tenant = "", name = ""] = entry.key.split(".");
    let value: string | undefined;
    let problem: Error | undefined;
    if (entry.operation === "PUT") {
      try {
        const sealed = sealedSecretSchema.safeParse(decodeJson<unknown>(entry.value));
        if (!sealed.success) throw new Error(`secret '${name}' of tenant '${tenant}' is not a sealed secret; set it again`);
        value = await this.deps.cipher.open(tenant, name, sealed.data);
      } catch (error) {
        problem = ensureError(error);
      }
    }
    // One synchronous change after the decryption, so `secrets()` never caches a view from half-way
    // through. A value that does not open replaces the old one all the same: it is gone.
    const values = this.secretValues.get(tenant) ?? new Map<string, string>();
    this.secretValues.set(tenant, values);
    if (value === undefined) values.delete(name);
    else values.set(name, value);
    this.secretViews.delete(tenant);
    if (problem !== undefined) throw problem;
  }
}
