/**
 * `npm run dev`: the whole system in one process. Starts a nats-server child with its JetStream
 * store under KILN_DATA_DIR (unless KILN_NATS_URL points at one), then the gateway and one executor,
 * and prints how to use them. Data, the NATS port and the admin token survive restarts.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadExecutorConfig, startExecutor } from "../executor/mod.ts";
import { loadGatewayConfig, startGateway } from "../gateway/mod.ts";
import { configureLogging, loadLogSettings, serviceLogger } from "../infra/logger.ts";
import { PortInUseError } from "../infra/http-listener.ts";
import { findFreePort, NatsServerError, startNatsServer } from "../infra/nats-server.ts";
import { currentRuntime } from "../infra/runtime/mod.ts";
import { generateSecretsKey } from "../infra/secrets-cipher.ts";
import { onShutdown } from "../infra/shutdown.ts";
import { ensureNatsServer } from "./nats-server-install.mjs";

// People read dev's output in a terminal: compact text lines unless KILN_LOG_FORMAT says otherwise.
configureLogging(loadLogSettings({ ...process.env, KILN_LOG_FORMAT: process.env.KILN_LOG_FORMAT || "pretty" }));
const devLogger = serviceLogger("dev");
const log = (line: string): void => devLogger.info(line);
const dataDir = resolve(process.env.KILN_DATA_DIR || ".kiln");
await mkdir(dataDir, { recursive: true });

/** What has been started so far, stopped in this order: no requests in, no work in flight, then NATS. */
const stops = new Map<"gateway" | "executor" | "nats-server", () => Promise<void>>();
const stopAll = async (): Promise<void> => {
  for (const name of ["gateway", "executor", "nats-server"] as const) {
    const stop = stops.get(name);
    if (!stop) continue;
    stops.delete(name);
    try {
      await stop();
      log(`${name} stopped`);
    } catch (error) {
      log(`${name} did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
};
/**
 * Ctrl-C ends dev within 10 s whatever tenant code does: the executor kills its sandboxes after
 * KILN_SHUTDOWN_GRACE_MS (5 s), and should anything still hang, exiting at the deadline takes the
 * nats-server child down with it (its supervisor stops it once this process is gone, however it
 * ends: infra/nats-server.ts), so none is left running. Measured with a step spinning: exit 5.3 s
 * after SIGINT (test/e2e/dev-process.test.ts).
 */
const DEV_SHUTDOWN_DEADLINE_MS = 9_500;
const DEV_EXECUTOR_PORT = 9464;
onShutdown(stopAll, { log, deadlineMs: DEV_SHUTDOWN_DEADLINE_MS });

try {
  const natsUrl = process.env.KILN_NATS_URL || (await startEmbeddedNats());
  const adminToken = process.env.KILN_ADMIN_TOKEN || (await persistentValue("admin-token", "an admin token", () => randomBytes(32).toString("base64url")));
  const env: Record<string, string | undefined> = {
    ...process.env,
    KILN_NATS_URL: natsUrl,
    KILN_ADMIN_TOKEN: adminToken,
    KILN_SECRETS_KEY: process.env.KILN_SECRETS_KEY || (await persistentValue("secrets-key", "a secrets key (KILN_SECRETS_KEY)", generateSecretsKey)),
    KILN_COMPILE_CACHE_DIR: process.env.KILN_COMPILE_CACHE_DIR || join(dataDir, "compile-cache"),
    // 9464, Prometheus's customary exporter port, unless another process holds it.
    KILN_EXECUTOR_PORT: process.env.KILN_EXECUTOR_PORT || String(await findFreePort(DEV_EXECUTOR_PORT)),
  };

  const gateway = await startGateway(loadGatewayConfig(env));
  stops.set("gateway", () => gateway.close());
  const executor = await startExecutor(loadExecutorConfig(env)).catch((error: unknown) => {
    // Dev probed its port free a moment ago; another process may have bound it since.
    if (process.env.KILN_EXECUTOR_PORT || !(error instanceof PortInUseError)) throw error;
    log(`port ${error.port} was taken as the executor started; its ops endpoints take a free port instead`);
    return startExecutor(loadExecutorConfig({ ...env, KILN_EXECUTOR_PORT: "0" }));
  });
  stops.set("executor", () => executor.close());

  console.log(banner(gateway.url.replace(/\/$/, ""), adminToken, natsUrl, executor.url));
  // spawn-service.ts waits for this line (the benchmark runs dev as one of its configurations).
  console.error(`kiln dev running on ${gateway.url} (${currentRuntime().description}, NATS ${natsUrl})`);
} catch (error) {
  log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
}

/** Starts nats-server on KILN_NATS_PORT (default 4222, another free port if taken); returns its URL. */
async function startEmbeddedNats(): Promise<string> {
  const found = ensureNatsServer({ log });
  if (!found.ok) throw new Error(found.message);

  const storeDir = join(dataDir, "nats");

  const wantedPort = Number(process.env.KILN_NATS_PORT || 4222);
  if (!Number.isInteger(wantedPort) || wantedPort < 1 || wantedPort > 65535) {
    throw new Error(`KILN_NATS_PORT='${process.env.KILN_NATS_PORT}' is not a TCP port (1-65535)`);
  }
  const freePort = await findFreePort(wantedPort);
  if (freePort !== wantedPort) log(`port ${wantedPort} is taken; nats-server uses ${freePort} instead`);

  const logFile = join(dataDir, "nats-server.log");
  // Refuses a store another live npm run dev serves, and takes over one whose owner was SIGKILLed.
  const start = (port: number | undefined) => startNatsServer({ binary: found.path, storeDir, port, logFile, log });
  const server = await start(freePort).catch((error: unknown) => {
    // Another process bound the port between the probe and the server's start (seen with two devs
    // starting at once): the server then picks a free port itself, which cannot race.
    if (!(error instanceof NatsServerError && error.portInUse)) throw error;
    log(`port ${freePort} was taken as nats-server started; it picks a free port instead`);
    return start(undefined);
  });
  stops.set("nats-server", () => server.stop());
  log(`nats-server ${server.url} (JetStream store ${storeDir}, log ${logFile})`);
  return server.url;
}

/**
 * A value kept in `<data dir>/<name>` (mode 0600), generated on the first run: the admin token, and
 * the secrets key, which must outlive restarts (secrets stored under one key do not open with another).
 */
async function persistentValue(name: string, what: string, generate: () => string): Promise<string> {
  const file = join(dataDir, name);
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) {
    await chmod(file, 0o600);
    return existing;
  }
  const value = generate();
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  log(`generated ${what} in ${file}`);
  return value;
}

function banner(url: string, adminToken: string, natsUrl: string, executorUrl: string | undefined): string {
  return `
Kiln is running.
  gateway      ${url}
  API          ${url}/openapi.json    (metrics: ${url}/metrics)
  executor     ${executorUrl ?? "no ops endpoints"}    (/metrics, /healthz, /readyz)
  admin token  ${adminToken}
  NATS         ${natsUrl}    (logs: nats sub 'kiln.logs.acme.>' -s ${natsUrl})

Try it (from the repository root, in another terminal):
  export KILN=${url} ADMIN=${adminToken}
  TOKEN=$(curl -sf -X POST "$KILN/v1/tenants" -H "authorization: Bearer $ADMIN" \\
            -H 'content-type: application/json' -d '{"id":"acme"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -s -X PUT "$KILN/v1/tenants/acme/workflows/onboarding" -H "authorization: Bearer $TOKEN" \\
       -H 'content-type: application/typescript' --data-binary @examples/onboarding.ts
  curl -s -X POST "$KILN/v1/tenants/acme/workflows/onboarding/instances" -H "authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' -d '{"id":"first","params":{"email":"ada@example.com"}}'
  curl -s "$KILN/v1/tenants/acme/workflows/onboarding/instances/first" -H "authorization: Bearer $TOKEN"

The tenant token is shown once: on later runs "acme" exists already, so reuse the token you kept,
or have the admin issue a new one (a name not taken yet; revoke old ones with DELETE …/tokens/<name>):
  TOKEN=$(curl -sf -X POST "$KILN/v1/tenants/acme/tokens" -H "authorization: Bearer $ADMIN" \\
            -H 'content-type: application/json' -d '{"name":"dev-'$(date +%s)'","scopes":["deploy","run","read","admin"]}' \\
          | sed -E 's/.*"token":"([^"]+)".*/\\1/')
Ctrl-C stops everything; data stays in ${dataDir}.
`;
}
