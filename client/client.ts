/** `createKilnClient`: the gateway's HTTP API as typed calls, for tenants and the platform admin. */
import type {
  BatchAnswer,
  CreatedInstance,
  CreatedToken,
  DeployAnswer,
  InstancePage,
  InstanceStatus,
  SecretView,
  TenantSettings,
  TokenScope,
  TokenView,
  WorkflowSummary,
  WorkflowView,
} from "../contract/mod.ts";
import { createTransport, type Transport } from "./http.ts";
import { instanceHandle, type InstanceHandle } from "./instance.ts";

export interface KilnClientOptions {
  /** The gateway, e.g. `http://localhost:8787`. */
  url: string;
  /** A tenant token (or the platform admin's). */
  token?: string | undefined;
  /**
   * The tenant whose routes the client calls (`/v1/tenants/:t/…`). A token does not say which
   * tenant it belongs to over the API, so it is named here. Needed by everything but `tenants`.
   */
  tenant?: string | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/** What can be deployed: one module's source, several files with an entry, or a pre-built component. */
export type Deployable = string | { files: Record<string, string>; entry: string } | Uint8Array;

export interface DeployOptions {
  /** For a single source text. @default "application/typescript" */
  contentType?: string;
}

export interface CreateOptions {
  /** @default a random UUID, chosen by the gateway */
  id?: string;
  params?: unknown;
  /** Overrides the tenant's retention for this instance, e.g. `{ successRetention: "1 day" }`. */
  retention?: { successRetention?: string | number; errorRetention?: string | number };
}

export interface ListOptions {
  status?: InstanceStatus;
  /** ISO 8601 time or epoch milliseconds. */
  createdAfter?: string | number | Date;
  createdBefore?: string | number | Date;
  /** @default 50 (at most 1000) */
  limit?: number;
  /** From the previous page's `cursor`. */
  cursor?: string;
}

export interface WorkflowClient {
  readonly name: string;
  /** Creates an instance (201) and answers a handle on it; `version` is the one it is pinned to. */
  create(options?: CreateOptions): Promise<InstanceHandle & { version: string }>;
  /** Up to 100 at once; each entry answers its own result, a refused one with its error. */
  createBatch(items: CreateOptions[]): Promise<BatchAnswer["instances"]>;
  /** A handle on an instance that exists already (nothing is sent until it is used). */
  instance(id: string): InstanceHandle;
  list(options?: ListOptions): Promise<InstancePage>;
}

export interface KilnClient {
  /** The low-level transport, for what has no typed call (and for tests sending odd requests). */
  readonly http: Transport;
  readonly tenant: string | undefined;
  workflows: {
    deploy(name: string, source: Deployable, options?: DeployOptions): Promise<DeployAnswer>;
    list(): Promise<WorkflowSummary[]>;
    get(name: string): Promise<WorkflowView>;
  };
  workflow(name: string): WorkflowClient;
  tokens: {
    create(name: string, scopes: TokenScope[]): Promise<CreatedToken>;
    list(): Promise<TokenView[]>;
    get(name: string): Promise<TokenView>;
    revoke(name: string): Promise<void>;
  };
  secrets: {
    put(name: string, value: string): Promise<void>;
    list(): Promise<SecretView[]>;
    delete(name: string): Promise<void>;
  };
  /** The platform admin's calls. */
  tenants: {
    /** Answers the tenant's first token (every scope), shown this once. */
    create(id: string): Promise<{ id: string; token: string }>;
    getSettings(id: string): Promise<TenantSettings>;
    putSettings(id: string, settings: TenantSettings): Promise<TenantSettings>;
  };
}

const seg = encodeURIComponent;

export function createKilnClient(options: KilnClientOptions): KilnClient {
  const http = createTransport(options);
  const tenantPath = () => {
    if (options.tenant === undefined) throw new TypeError("this call needs the tenant: pass createKilnClient({ url, token, tenant })");
    return `/v1/tenants/${seg(options.tenant)}`;
  };
  const time = (value: string | number | Date | undefined) => (value instanceof Date ? value.toISOString() : value);

  const workflow = (name: string): WorkflowClient => {
    const base = () => `${tenantPath()}/workflows/${seg(name)}/instances`;
    return {
      name,
      async create(create = {}) {
        const created = await http.call<CreatedInstance>("POST", base(), { body: create });
        return Object.assign(instanceHandle(http, base(), name, created.id), { version: created.version });
      },
      async createBatch(items) {
        return (await http.call<BatchAnswer>("POST", `${base()}/batch`, { body: items })).instances;
      },
      instance: (id) => instanceHandle(http, base(), name, id),
      list: (list = {}) =>
        http.call<InstancePage>("GET", base(), {
          query: {
            status: list.status,
            limit: list.limit,
            cursor: list.cursor,
            createdAfter: time(list.createdAfter),
            createdBefore: time(list.createdBefore),
          },
        }),
    };
  };

  return {
    http,
    tenant: options.tenant,
    workflows: {
      deploy(name, source, deploy = {}) {
        const path = `${tenantPath()}/workflows/${seg(name)}`;
        if (typeof source === "string") return http.call("PUT", path, { body: source, contentType: deploy.contentType ?? "application/typescript" });
        if (source instanceof Uint8Array) return http.call("PUT", path, { body: source, contentType: "application/wasm" });
        return http.call("PUT", path, { body: source });
      },
      list: async () => (await http.call<{ workflows: WorkflowSummary[] }>("GET", `${tenantPath()}/workflows`)).workflows,
      get: (name) => http.call("GET", `${tenantPath()}/workflows/${seg(name)}`),
    },
    workflow,
    tokens: {
      create: (name, scopes) => http.call("POST", `${tenantPath()}/tokens`, { body: { name, scopes } }),
      list: async () => (await http.call<{ tokens: TokenView[] }>("GET", `${tenantPath()}/tokens`)).tokens,
      get: (name) => http.call("GET", `${tenantPath()}/tokens/${seg(name)}`),
      async revoke(name) {
        await http.call("DELETE", `${tenantPath()}/tokens/${seg(name)}`);
      },
    },
    secrets: {
      async put(name, value) {
        await http.call("PUT", `${tenantPath()}/secrets/${seg(name)}`, { body: value, contentType: "text/plain" });
      },
      list: async () => (await http.call<{ secrets: SecretView[] }>("GET", `${tenantPath()}/secrets`)).secrets,
      async delete(name) {
        await http.call("DELETE", `${tenantPath()}/secrets/${seg(name)}`);
      },
    },
    tenants: {
      create: (id) => http.call("POST", "/v1/tenants", { body: { id } }),
      getSettings: (id) => http.call("GET", `/v1/tenants/${seg(id)}/settings`),
      putSettings: (id, settings) => http.call("PUT", `/v1/tenants/${seg(id)}/settings`, { body: settings }),
    },
  };
}
