/**
 * Tenants, workflows and their versions, and tenant settings, in `kiln_registry`. Secrets and tokens
 * share the bucket but have their own stores (secret-store.ts seals secrets, token-store.ts hashes
 * tokens).
 */
import type { KV } from "@nats-io/kv";
import { Keys, tenantSettingsSchema, type TenantSettings } from "../contract/mod.ts";
import { AlreadyExistsError, isWrongLastSequence, RevisionConflictError } from "../infra/errors.ts";
import { decodeJson, encodeJson } from "../infra/json-codec.ts";
import { KvMirror } from "../infra/kv-mirror.ts";

export interface TenantRecord {
  id: string;
  createdAt: number;
}

export interface WorkflowVersion {
  version: string;
  createdAt: number;
  /** How the tenant supplied it. */
  source: "typescript" | "javascript" | "files" | "wasm";
  warnings?: string[];
  /** The world's interfaces the component imports, e.g. `["logging", "engine", "http"]`; absent on versions deployed before it was recorded. */
  capabilities?: string[];
}

export interface WorkflowRecord {
  tenant: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  /** The version new instances get. */
  latest: string;
  /** Every deployed version, oldest first. */
  versions: WorkflowVersion[];
}

/**
 * What a create reads of the registry on every request, held in memory by KV watches (kv-mirror.ts):
 * each workflow's latest version and each tenant's settings. In the 32-clients bench these two KV
 * gets were two of a create's NATS round trips (docs/bench/README.md).
 */
interface RegistryMirrors {
  latest: KvMirror<string>;
  settings: KvMirror<TenantSettings>;
}

function parseSettings(value: Uint8Array): TenantSettings {
  const parsed = tenantSettingsSchema.safeParse(decodeJson<unknown>(value));
  return parsed.success ? parsed.data : {};
}

export class Registry {
  /** Without `mirrors` every read goes to KV. */
  constructor(
    private readonly kv: KV,
    private readonly mirrors?: RegistryMirrors,
  ) {}

  /** A registry whose per-request reads are answered from memory; `close()` stops the watches. */
  static async open(kv: KV, warn: (message: string) => void): Promise<Registry> {
    const [latest, settings] = await Promise.all([
      KvMirror.open({ kv, filter: Keys.allWorkflows, parse: (value) => decodeJson<WorkflowRecord>(value).latest, warn }),
      KvMirror.open({ kv, filter: Keys.allTenantSettings, parse: parseSettings, warn }),
    ]);
    return new Registry(kv, { latest, settings });
  }

  close(): void {
    this.mirrors?.latest.close();
    this.mirrors?.settings.close();
  }

  async createTenant(id: string): Promise<TenantRecord> {
    const record: TenantRecord = { id, createdAt: Date.now() };
    try {
      await this.kv.create(Keys.tenant(id), encodeJson(record));
    } catch (error) {
      if (isWrongLastSequence(error)) throw new AlreadyExistsError(`tenant '${id}' already exists`);
      throw error;
    }
    return record;
  }

  async tenantExists(id: string): Promise<boolean> {
    const entry = await this.kv.get(Keys.tenant(id));
    return entry?.operation === "PUT";
  }

  async getWorkflow(tenant: string, name: string): Promise<{ record: WorkflowRecord; revision: number } | undefined> {
    const entry = await this.kv.get(Keys.workflow(tenant, name));
    if (!entry || entry.operation !== "PUT") return undefined;
    return { record: decodeJson<WorkflowRecord>(entry.value), revision: entry.revision };
  }

  /** The version new instances of the workflow get; `undefined` if it was never deployed. */
  async latestVersion(tenant: string, name: string): Promise<string | undefined> {
    return this.mirrors?.latest.held(Keys.workflow(tenant, name)) ?? (await this.getWorkflow(tenant, name))?.record.latest;
  }

  async listWorkflows(tenant: string): Promise<WorkflowRecord[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(Keys.workflowsOfTenant(tenant))) keys.push(key);
    keys.sort();
    const records = await Promise.all(keys.map((key) => this.kv.get(key)));
    return records.flatMap((entry) => (entry?.operation === "PUT" ? [decodeJson<WorkflowRecord>(entry.value)] : []));
  }

  /** Makes `version` the latest of the workflow, adding it to the list if it is new. */
  async publishVersion(tenant: string, name: string, version: WorkflowVersion): Promise<WorkflowRecord> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.getWorkflow(tenant, name);
      const now = Date.now();
      const record: WorkflowRecord = current
        ? { ...current.record, updatedAt: now, latest: version.version }
        : { tenant, name, createdAt: now, updatedAt: now, latest: version.version, versions: [] };
      if (!record.versions.some((known) => known.version === version.version)) record.versions = [...record.versions, version];
      try {
        const key = Keys.workflow(tenant, name);
        const revision = current ? await this.kv.update(key, encodeJson(record), current.revision) : await this.kv.create(key, encodeJson(record));
        // A create right after the deploy answered gets this version, whatever the watch's lag.
        this.mirrors?.latest.note(key, record.latest, revision);
        return record;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
    throw new RevisionConflictError(`workflow '${name}' kept changing while deploying; try again`);
  }

  /**
   * The tenant's settings as the admin last set them (`{}` if never). A stored document that no
   * longer validates (written by an older Kiln) reads as `{}`, as executors treat it: defaults.
   */
  async getSettings(tenant: string): Promise<TenantSettings> {
    const key = Keys.tenantSettings(tenant);
    const held = this.mirrors?.settings.held(key);
    if (held) return held;
    // Most tenants never set any: without holding that, every create read KV for nothing. Settings
    // set elsewhere reach this gateway with the watch, as they reach executors.
    if (this.mirrors?.settings.heldAbsent(key)) return {};
    const entry = await this.kv.get(key);
    if (entry?.operation === "PUT") return parseSettings(entry.value);
    this.mirrors?.settings.noteAbsent(key);
    return {};
  }

  /** Replaces the tenant's settings; executors pick them up from the watch within a second. */
  async putSettings(tenant: string, settings: TenantSettings): Promise<void> {
    const key = Keys.tenantSettings(tenant);
    this.mirrors?.settings.note(key, settings, await this.kv.put(key, encodeJson(settings)));
  }
}
