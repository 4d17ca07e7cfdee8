/** The gateway's HTTP API as a tenant (and the admin) uses it: just what the benchmark calls. */

export class ApiError extends Error {
  override name = "ApiError";
}

export class KilnClient {
  constructor(
    readonly baseUrl: string,
    protected readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": contentType }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const response = await this.request<T>(method, path, body, contentType);
    if (response.status !== status) throw new ApiError(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /**
   * As admin: creates a tenant and returns a client acting as it. Its create rate is raised: the
   * benchmark measures the platform under load (10,000 instances created in seconds), not the
   * default `limits.createsPerSecond` of 300.
   */
  async createTenant(id: string): Promise<TenantClient> {
    const { token } = await this.expect<{ token: string }>(201, "POST", "/v1/tenants", { id });
    await this.expect(200, "PUT", `/v1/tenants/${id}/settings`, { limits: { createsPerSecond: 100_000 } });
    return new TenantClient(this.baseUrl, token, id);
  }
}

export interface InstanceView {
  id: string;
  status: string;
  output?: unknown;
  error?: unknown;
  steps: Array<{ name: string; startedAt?: number; completedAt?: number }>;
  createdAt: number;
  updatedAt: number;
}

export class TenantClient extends KilnClient {
  constructor(
    baseUrl: string,
    token: string,
    readonly tenant: string,
  ) {
    super(baseUrl, token);
  }

  /** The same tenant through another gateway (e.g. `npm run dev`'s on the same NATS). */
  at(baseUrl: string): TenantClient {
    return new TenantClient(baseUrl, this.token, this.tenant);
  }

  deploy(workflow: string, source: string): Promise<{ version: string; unchanged?: boolean }> {
    return this.expect(201, "PUT", `/v1/tenants/${this.tenant}/workflows/${workflow}`, source, "application/typescript");
  }

  create(workflow: string, id: string, params: unknown): Promise<{ id: string; version: string }> {
    return this.expect(201, "POST", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances`, { id, params });
  }

  /** Creates up to 100 instances in one request. */
  createBatch(workflow: string, items: Array<{ id: string; params: unknown }>): Promise<unknown> {
    return this.expect(201, "POST", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances/batch`, items);
  }

  get(workflow: string, id: string): Promise<InstanceView> {
    return this.expect(200, "GET", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances/${id}`);
  }

  /** One page of `GET …/instances`, newest first; `query` as the API takes it (status, limit, cursor…). */
  list(workflow: string, query: Record<string, string> = {}): Promise<{ instances: Array<{ id: string; status: string }>; cursor?: string }> {
    const search = new URLSearchParams(query).toString();
    return this.expect(200, "GET", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances${search ? `?${search}` : ""}`);
  }

  async logs(workflow: string, id: string): Promise<Array<{ ts: number; level: string; message: string }>> {
    const { lines } = await this.expect<{ lines: Array<{ ts: number; level: string; message: string }> }>(
      200,
      "GET",
      `/v1/tenants/${this.tenant}/workflows/${workflow}/instances/${id}/logs`,
    );
    return lines;
  }

  /** Asks for the instance's end; a running instance ends once its `terminated` event is out. */
  terminate(workflow: string, id: string): Promise<{ status: string; pending?: string }> {
    return this.expect(200, "POST", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances/${id}/terminate`);
  }

  sendEvent(workflow: string, id: string, type: string, payload: unknown = {}): Promise<unknown> {
    return this.expect(202, "POST", `/v1/tenants/${this.tenant}/workflows/${workflow}/instances/${id}/events/${type}`, payload);
  }
}
