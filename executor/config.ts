/** Executor settings, read once from the environment in `main.ts`. */
import { availableParallelism } from "node:os";
import { parseSecretsKey } from "../infra/secrets-cipher.ts";
import { WATCHDOG_INTERVAL_MS } from "./cpu-watchdog.ts";
import { DEMOTE_AFTER_CPU_MS } from "./decisions/cpu-priority.ts";
import { defaultSlotReserve } from "./decisions/slot-share.ts";

export interface ResolvedExecutorConfig {
  readonly natsUrl: string;
  /** Activations run at once by this executor. @default 4 × cores */
  readonly concurrency: number;
  /**
   * Free local slots kept for tenants running nothing on this executor (decisions/slot-share.ts):
   * a tenant already running here takes a slot only while more than this many are free.
   * @default one in eight of `concurrency`, at least 1 (0 with a single slot)
   */
  readonly slotReserve: number;
  /** How long a claim on an instance holds without renewal. @default workAckWaitMs */
  readonly leaseMs: number;
  /** `ack_wait` of the work consumer when this executor creates it. @default 30_000 */
  readonly workAckWaitMs: number;
  /** Retry delays and sleeps up to this long are waited out in the sandbox. @default 500 */
  readonly holdMs: number;
  /** Warm sandboxes kept across versions. @default concurrency */
  readonly maxIdleSandboxes: number;
  /** Blank sandbox worker threads kept started for fresh sandboxes. @default 2 */
  readonly spareSandboxWorkers: number;
  /** Stream / bucket replicas when this executor creates them. @default 1 */
  readonly replicas: number;
  /**
   * On shutdown, how long running activations may go on before their sandboxes are killed and their
   * instances handed to another executor. @default 5_000
   */
  readonly shutdownGraceMs: number;
  /**
   * How often the CPU watchdog reads each running sandbox's CPU. 0 turns the watchdog off, and with
   * it `limits.runCpuMs` and `limits.stepCpuMs`: only for measuring what the watchdog costs
   * (`bench/scenarios/watchdog-cost.ts`), never in production. @default 100
   */
  readonly cpuWatchdogIntervalMs: number;
  /**
   * CPU an activation's sandbox may use before its thread is lowered to the lowest CPU priority for
   * the rest of the activation (decisions/cpu-priority.ts). 0 never demotes. @default 100
   */
  readonly demoteAfterCpuMs: number;
  /**
   * `KILN_EXECUTOR_PORT`: where `/metrics`, `/healthz` and `/readyz` are served (ops-server.ts); 0
   * picks a free port (named in the startup line). Unset: no HTTP server at all, so executors
   * started by the dozen on one machine need no port each; the metrics are still collected.
   * @default undefined
   */
  readonly port: number | undefined;
  /** `KILN_SECRETS_KEY`: opens tenant secrets for `this.env`; the gateway's key. Required. */
  readonly secretsKey: Uint8Array;
}

/** How often a running activation renews its lease and slot and signals progress on its message. */
export function activationHeartbeatMs(config: Pick<ResolvedExecutorConfig, "leaseMs" | "workAckWaitMs">): number {
  return Math.min(config.leaseMs, config.workAckWaitMs) / 3;
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got '${raw}'`);
  return value;
}

function opsPort(env: Record<string, string | undefined>): number | undefined {
  if (!env.KILN_EXECUTOR_PORT) return undefined;
  const port = positiveInt(env, "KILN_EXECUTOR_PORT", 0);
  if (port > 65_535) throw new Error(`KILN_EXECUTOR_PORT must be a TCP port (0-65535), got '${env.KILN_EXECUTOR_PORT}'`);
  return port;
}

export function loadExecutorConfig(env: Record<string, string | undefined>): ResolvedExecutorConfig {
  const natsUrl = env.KILN_NATS_URL;
  if (!natsUrl) throw new Error("KILN_NATS_URL is not set: point it at your NATS server, e.g. KILN_NATS_URL=nats://127.0.0.1:4222");
  const concurrency = positiveInt(env, "KILN_EXECUTOR_CONCURRENCY", 4 * availableParallelism()) || 1;
  return {
    natsUrl,
    concurrency,
    slotReserve: positiveInt(env, "KILN_EXECUTOR_SLOT_RESERVE", defaultSlotReserve(concurrency)),
    leaseMs: positiveInt(env, "KILN_LEASE_MS", positiveInt(env, "KILN_WORK_ACK_WAIT_MS", 30_000)),
    workAckWaitMs: positiveInt(env, "KILN_WORK_ACK_WAIT_MS", 30_000),
    holdMs: positiveInt(env, "KILN_HOLD_MS", 500),
    maxIdleSandboxes: positiveInt(env, "KILN_MAX_IDLE_SANDBOXES", concurrency),
    spareSandboxWorkers: positiveInt(env, "KILN_SPARE_SANDBOX_WORKERS", 2),
    replicas: positiveInt(env, "KILN_REPLICAS", 1) || 1,
    shutdownGraceMs: positiveInt(env, "KILN_SHUTDOWN_GRACE_MS", 5_000),
    cpuWatchdogIntervalMs: positiveInt(env, "KILN_CPU_WATCHDOG_INTERVAL_MS", WATCHDOG_INTERVAL_MS),
    demoteAfterCpuMs: positiveInt(env, "KILN_DEMOTE_AFTER_CPU_MS", DEMOTE_AFTER_CPU_MS),
    port: opsPort(env),
    secretsKey: parseSecretsKey(env.KILN_SECRETS_KEY),
  };
}
