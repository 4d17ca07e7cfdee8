/**
 * The gateway's HTTP API as the benchmark calls it: a thin layer over the one client (client/), kept
 * with the signatures the scenarios were written against. Views are the wire's (contract/api.ts):
 * times are ISO 8601 strings.
 */
import type { InstanceView as WireInstanceView, LogLine } from "../contract/mod.ts";
import { apiError, createKilnClient, KilnApiError, type InstancePage, type KilnClient as TypedClient, type ListOptions } from "../client/mod.ts";

/** What a call that got an unexpected status throws: the client's error, with the API's `code`. */
export const ApiError = KilnApiError;
export type ApiError = KilnApiError;

export class KilnClient {
  /** The typed client this one is a shortcut over. */
  readonly client: TypedClient;

  constructor(
    readonly baseUrl: string,
    token: string,
    tenant?: string,
  ) {
    this.client = createKilnClient({ url: baseUrl, token, tenant });
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: T }> {
    const { status, body: answer } = await this.client.http.raw<T>(method, path, { body: body as string | object | undefined, contentType });
    return { status, body: answer };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const answer = await this.client.http.raw<T>(method, path, { body: body as string | object | undefined, contentType });
    if (answer.status === status) return answer.body;
    const error = apiError(answer.status, answer.headers, answer.body, `${method} ${path}`);
    throw new KilnApiError(
      error.status,
      error.code,
      `${method} ${path}: expected ${status}, got ${answer.status}: ${error.message}`,
      error.retryAfterMs,
      error.details,
    );
  }

  /**
   * As admin: creates a tenant and returns a client acting as it. Its create rate is raised: the
   * benchmark measures the platform under load (10,000 instances created in seconds), not the
   * default `limits.createsPerSecond` of 300.
   */
  async createTenant(id: string): Promise<TenantClient> {
    const { token } = await this.client.tenants.create(id);
    await this.client.tenants.putSettings(id, { limits: { createsPerSecond: 100_000 } });
    return new TenantClient(this.baseUrl, token, id);
  }
}

/** An instance as `GET …/instances/:id` answers it. */
export type InstanceView = WireInstanceView;

export class TenantClient extends KilnClient {
  constructor(
    baseUrl: string,
    private readonly token: string,
    readonly tenant: string,
  ) {
    super(baseUrl, token, tenant);
  }

  /** The same tenant through another gateway (e.g. `npm run dev`'s on the same NATS). */
  at(baseUrl: string): TenantClient {
    return new TenantClient(baseUrl, this.token, this.tenant);
  }

  deploy(workflow: string, source: string): Promise<{ version: string; unchanged?: boolean }> {
    return this.client.workflows.deploy(workflow, source);
  }

  async create(workflow: string, id: string, params: unknown): Promise<{ id: string; version: string }> {
    const created = await this.client.workflow(workflow).create({ id, params });
    return { id: created.id, version: created.version };
  }

  /** Creates up to 100 instances in one request. */
  createBatch(workflow: string, items: Array<{ id: string; params: unknown }>): Promise<unknown> {
    return this.client
      .workflow(workflow)
      .createBatch(items)
      .then((instances) => ({ instances }));
  }

  get(workflow: string, id: string): Promise<InstanceView> {
    return this.client.workflow(workflow).instance(id).status();
  }

  /** One page of `GET …/instances`, newest first. */
  list(workflow: string, options: ListOptions = {}): Promise<InstancePage> {
    return this.client.workflow(workflow).list(options);
  }

  async logs(workflow: string, id: string): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for await (const line of this.client.workflow(workflow).instance(id).logs()) lines.push(line);
    return lines;
  }

  /** Asks for the instance's end; a running instance ends once its `terminated` event is out. */
  terminate(workflow: string, id: string): Promise<{ status: string; pending?: string }> {
    return this.client.workflow(workflow).instance(id).terminate();
  }

  sendEvent(workflow: string, id: string, type: string, payload: unknown = {}): Promise<unknown> {
    return this.client.workflow(workflow).instance(id).sendEvent(type, payload);
  }
}
