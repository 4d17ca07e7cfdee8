/**
 * A whole Kiln for one test file: a private nats-server, a gateway on a free port and executors, all
 * real. Compiled components are shared across the run through one compile cache folder, so each
 * fixture is componentized once per test run (and once per machine while its sources are unchanged).
 *
 *   await using kiln = await startKiln();
 *   const acme = await kiln.tenant("acme");
 *   const { version } = await acme.deploy("wf", await fixture("kitchen-sink.ts"));
 *
 * The services run inside the test process by default. With `KILN_TEST_RUNTIME` set (`deno`,
 * `deno:<binary>`, `node:<binary>`) the gateway and every executor run as child processes on that
 * runtime instead, so the same tests check Kiln on Deno 2 or another Node version.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/nats-core";
import { loadExecutorConfig, startExecutor } from "../../executor/mod.ts";
import { loadGatewayConfig, startGateway, type RunningGateway } from "../../gateway/mod.ts";
import { currentRuntime, launcherFor, spawnService, type RuntimeName, type ServiceProcess } from "../../infra/runtime/mod.ts";
import { startTestNats, type TestNats } from "./nats.ts";
import { createKilnClient, createTransport, isKilnApiError, type KilnClient, type LogLine, type RequestBody } from "../../client/mod.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Survives across runs on a developer machine; CI starts from a clean clone. */
export const TEST_COMPILE_CACHE_DIR = join(REPO_ROOT, "node_modules", ".cache", "kiln-test-compile");
const ADMIN_TOKEN = "test-admin-token-0123456789";
/** `KILN_SECRETS_KEY` of every test Kiln: fixed, so a test can open what the gateway sealed. */
export const TEST_SECRETS_KEY = "6b696c6e2d746573742d736563726574732d6b65792d30313233343536373839";

/** Short leases so crash tests see a dead executor's work picked up within seconds. */
const TEST_WORK_ACK_WAIT_MS = 3_000;

/** Where the services run: a runtime spec for child processes (see `launcherFor`), or in this process. */
export const TEST_RUNTIME: string | undefined = process.env.KILN_TEST_RUNTIME || undefined;

export interface KilnOptions {
  /** Executors to start with. @default 1 */
  executors?: number;
  /** Extra environment for executors (e.g. `KILN_HOLD_MS`). */
  executorEnv?: Record<string, string>;
  /** Extra environment for the gateway and every executor (e.g. `KILN_REPLICAS`). */
  serviceEnv?: Record<string, string>;
  /** The NATS to run on, owned (and stopped) by the Kiln from now on. @default a private `startTestNats()` */
  nats?: TestNats;
}

/** An executor of a test Kiln, in this process or a child process. */
export interface TestExecutor {
  /** Its id, as in its leases and `running` lifecycle events. */
  readonly id: string;
  readonly runtime: RuntimeName;
  /** What it runs on, e.g. `deno 2.9.6` or `node v20.19.2`. */
  readonly description: string;
  /** The process it runs in (this test process when in-process), to read its `/proc/<pid>/status`. */
  readonly pid: number;
  /** Base URL of its ops endpoints (`/metrics`, `/readyz`), when started with `KILN_EXECUTOR_PORT`. */
  readonly url: string | undefined;
  /** Stops taking work and lets running activations finish (SIGTERM for a child process). */
  close(): Promise<void>;
}

/** Activations seen since `watchActivations()`, per executor id. */
export interface ActivationWatch {
  byExecutor(): Map<string, number>;
  stop(): void;
}

/**
 * A JSON body as the tests read it: assertions reach into answers of every route, and `expect`
 * checks their shape, so the harness does not type each one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type JsonBody = any;

export interface Api {
  (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: JsonBody }>;
}

/** One request as sent by `TestKiln.send`: any token or none, any body, the answer with its headers. */
export interface RawRequest {
  method: string;
  path: string;
  /** The bearer token; none when undefined. */
  token?: string | undefined;
  /** Sent as is when text or bytes, as JSON (with `content-type: application/json`) otherwise. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RawAnswer {
  status: number;
  body: JsonBody;
  headers: Headers;
}

export interface TenantClient {
  readonly id: string;
  readonly token: string;
  readonly api: Api;
  /** The typed client (client/) acting as this tenant, with its first token. */
  readonly client: KilnClient;
  /** `source` is text, or a component's bytes with content type `application/wasm`. */
  deploy(workflow: string, source: string | Uint8Array, contentType?: string): Promise<{ status: number; body: JsonBody }>;
  create(workflow: string, body?: { id?: string; params?: unknown; retention?: Record<string, string | number> }): Promise<{ id: string; version: string }>;
  get(workflow: string, id: string): Promise<JsonBody>;
  /** Polls the instance until `done(view)` or the deadline; returns the last view. */
  waitFor(workflow: string, id: string, done: (view: JsonBody) => boolean, timeoutMs?: number): Promise<JsonBody>;
  logs(workflow: string, id: string): Promise<LogLine[]>;
}

export interface TestKiln extends AsyncDisposable {
  readonly nats: TestNats;
  readonly gateway: RunningGateway;
  readonly executors: TestExecutor[];
  readonly adminApi: Api;
  /** The platform admin's token, for `send`. */
  readonly adminToken: string;
  /** The API as seen with any token (a named tenant token, a revoked one), through `gatewayUrl`. */
  api(token: string, gatewayUrl?: string): Api;
  /** One request with any token or none, answered with its headers (e.g. `Allow`). */
  send(request: RawRequest): Promise<RawAnswer>;
  /** Another gateway on the same NATS, as a second replica behind a load balancer would be. */
  startGateway(): Promise<RunningGateway>;
  tenant(id: string): Promise<TenantClient>;
  /**
   * Starts an executor where the services of this Kiln run, or on `runtime` (a spec such as `deno`
   * or `node:<binary>`) as a child process.
   */
  startExecutor(env?: Record<string, string>, runtime?: string): Promise<TestExecutor>;
  /** An executor in a child process (on `KILN_TEST_RUNTIME`, else this Node), to be killed like a crashed machine. */
  spawnExecutor(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Another gateway on the same NATS in a child process (on `KILN_TEST_RUNTIME`, else this Node), to be killed mid-request. */
  spawnGateway(): Promise<ServiceProcess>;
  /** Counts activations per executor from the `running` lifecycle events published from now on. */
  watchActivations(): Promise<ActivationWatch>;
  close(): Promise<void>;
}

export async function fixture(name: string): Promise<string> {
  return readFile(join(REPO_ROOT, "test", "fixtures", name), "utf8");
}

/** Through the one client (client/), so the tests exercise what tenants, the bench and the CLI use. */
async function send(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  const { method, path, token, body, headers } = request;
  // Text and bytes go as they are; anything else (null and numbers too) as JSON, as the client sends it.
  return createTransport({ url: baseUrl, token }).raw(method, path, { body: body as RequestBody | undefined, headers });
}

function apiFor(baseUrl: string, token: string): Api {
  return async (method, path, body, headers) => {
    const { status, body: answer } = await send(baseUrl, { method, path, token, body, ...(headers ? { headers } : {}) });
    return { status, body: answer };
  };
}

async function watchRunningEvents(nc: NatsConnection): Promise<ActivationWatch> {
  const counts = new Map<string, number>();
  const subscription = nc.subscribe("kiln.events.>", {
    callback: (_, message) => {
      const event = message.json<{ kind?: string; executor?: string }>();
      if (event.kind === "running" && event.executor) counts.set(event.executor, (counts.get(event.executor) ?? 0) + 1);
    },
  });
  await nc.flush();
  return { byExecutor: () => new Map(counts), stop: () => subscription.unsubscribe() };
}

export async function startKiln(options: KilnOptions = {}): Promise<TestKiln> {
  const nats = options.nats ?? (await startTestNats());
  const baseEnv = {
    KILN_NATS_URL: nats.url,
    KILN_WORK_ACK_WAIT_MS: String(TEST_WORK_ACK_WAIT_MS),
    KILN_SECRETS_KEY: TEST_SECRETS_KEY,
    ...options.serviceEnv,
  };
  const gatewayEnv = { ...baseEnv, KILN_PORT: "0", KILN_ADMIN_TOKEN: ADMIN_TOKEN, KILN_COMPILE_CACHE_DIR: TEST_COMPILE_CACHE_DIR };
  const children: ServiceProcess[] = [];
  const spawnChild = async (name: "gateway" | "executor", runtime: string, env: Record<string, string>) => {
    const child = await spawnService(name, { launcher: launcherFor(runtime), env: { ...process.env, ...env } });
    children.push(child);
    return child;
  };

  const gateways: RunningGateway[] = [];
  const startOneGateway = async (): Promise<RunningGateway> => {
    let started: RunningGateway;
    if (TEST_RUNTIME === undefined) {
      started = await startGateway(loadGatewayConfig(gatewayEnv), { hostname: "127.0.0.1" });
    } else {
      const child = await spawnChild("gateway", TEST_RUNTIME, gatewayEnv);
      started = { url: child.url!, close: () => child.stop() };
    }
    gateways.push(started);
    return started;
  };
  const gateway = await startOneGateway();

  const executors: TestExecutor[] = [];
  const startOne = async (env: Record<string, string> = {}, runtime = TEST_RUNTIME) => {
    const executorEnv = { ...baseEnv, KILN_EXECUTOR_CONCURRENCY: "8", ...options.executorEnv, ...env };
    let executor: TestExecutor;
    if (runtime === undefined) {
      const inProcess = await startExecutor(loadExecutorConfig(executorEnv));
      const { name, description } = currentRuntime();
      executor = { id: inProcess.id, runtime: name, description, pid: process.pid, url: inProcess.url, close: () => inProcess.close() };
    } else {
      const child = await spawnChild("executor", runtime, executorEnv);
      executor = { id: child.id!, runtime: child.runtime, description: child.description, pid: child.pid, url: child.url, close: () => child.stop() };
    }
    executors.push(executor);
    return executor;
  };
  for (let i = 0; i < (options.executors ?? 1); i++) await startOne();
  const adminApi = apiFor(gateway.url, ADMIN_TOKEN);

  const kiln: TestKiln = {
    nats,
    gateway,
    executors,
    adminApi,
    adminToken: ADMIN_TOKEN,
    api: (token, gatewayUrl = gateway.url) => apiFor(gatewayUrl, token),
    send: (request) => send(gateway.url, request),
    startGateway: startOneGateway,
    startExecutor: startOne,
    spawnExecutor: (env = {}) => spawnChild("executor", TEST_RUNTIME ?? "node", { ...baseEnv, ...options.executorEnv, ...env }),
    spawnGateway: () => spawnChild("gateway", TEST_RUNTIME ?? "node", gatewayEnv),
    watchActivations: async () => watchRunningEvents(await nats.connect()),
    async tenant(id) {
      const created = await adminApi("POST", "/v1/tenants", { id });
      if (created.status !== 201) throw new Error(`creating tenant ${id}: ${created.status} ${JSON.stringify(created.body)}`);
      const token = created.body.token as string;
      const api = apiFor(gateway.url, token);
      const typed = createKilnClient({ url: gateway.url, token, tenant: id });
      const client: TenantClient = {
        id,
        token,
        api,
        client: typed,
        deploy: (workflow, source, contentType = "application/typescript") =>
          typed.http.raw("PUT", `/v1/tenants/${id}/workflows/${workflow}`, { body: source, contentType }),
        async create(workflow, body = {}) {
          const { id: instance, version } = await typed.workflow(workflow).create(body);
          return { id: instance, version };
        },
        get: (workflow, instance) => typed.workflow(workflow).instance(instance).status(),
        async waitFor(workflow, instance, done, timeoutMs = 60_000) {
          const handle = typed.workflow(workflow).instance(instance);
          const deadline = Date.now() + timeoutMs;
          let view: JsonBody;
          while (Date.now() < deadline) {
            try {
              view = await handle.status();
              if (done(view)) return view;
            } catch (error) {
              // 503: NATS is restarting under the gateway; a client retries.
              if (!(isKilnApiError(error) && error.status === 503)) throw error;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          throw new Error(`instance ${instance} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(view)}`);
        },
        async logs(workflow, instance) {
          const lines: LogLine[] = [];
          for await (const line of typed.workflow(workflow).instance(instance).logs()) lines.push(line);
          return lines;
        },
      };
      return client;
    },
    async close() {
      await Promise.allSettled(executors.map((executor) => executor.close()));
      await Promise.allSettled(gateways.map((running) => running.close()));
      // Whatever is left (executors spawned to be killed, ones a test forgot) goes down with NATS.
      await Promise.allSettled(children.map((child) => child.kill()));
      await nats.stop();
    },
    async [Symbol.asyncDispose]() {
      await kiln.close();
    },
  };
  return kiln;
}

/** Whether an instance reached one of the final statuses. */
export const isFinished = (view: { status: string }) => ["complete", "errored", "terminated"].includes(view.status);

export interface KitchenSinkKiln {
  kiln: TestKiln;
  /** Tenant "acme", with test/fixtures/kitchen-sink.ts deployed as workflow "sink". */
  acme: TenantClient;
  /** The fixture's source, for redeploys. */
  source: string;
}

/** The setup most end-to-end files share: a Kiln, tenant "acme" and the kitchen-sink workflow. */
export async function startKilnWithKitchenSink(options: KilnOptions = {}): Promise<KitchenSinkKiln> {
  const kiln = await startKiln(options);
  const acme = await kiln.tenant("acme");
  const source = await fixture("kitchen-sink.ts");
  const deployed = await acme.deploy("sink", source);
  if (deployed.status !== 201) {
    await kiln.close();
    throw new Error(`deploying the kitchen-sink fixture: ${deployed.status} ${JSON.stringify(deployed.body)}`);
  }
  return { kiln, acme, source };
}
