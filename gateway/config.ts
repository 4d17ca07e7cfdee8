/** Gateway settings, read once from the environment in `main.ts`. */
import { availableParallelism } from "node:os";
import { parseSecretsKey } from "../infra/secrets-cipher.ts";

export interface GatewayConfig {
  readonly natsUrl: string;
  /** HTTP port; 0 picks a free one. @default 8787 */
  readonly port: number;
  /** Bearer token of the platform operator (creates tenants, sets their settings). */
  readonly adminToken: string;
  /** Directory for compiled artifacts keyed by version, shared across restarts. */
  readonly compileCacheDir: string | undefined;
  /** Compiles that may run at once (each takes ~800 MB). @default cores */
  readonly compileConcurrency: number;
  /** Stream / bucket replicas when this gateway creates them. @default 1 */
  readonly replicas: number;
  /** `ack_wait` of the work consumer when this gateway creates it. @default 30_000 */
  readonly workAckWaitMs: number;
  /** `KILN_SECRETS_KEY`: seals tenant secrets; executors need the same key. Required. */
  readonly secretsKey: Uint8Array;
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const natsUrl = env.KILN_NATS_URL;
  if (!natsUrl) throw new Error("KILN_NATS_URL is not set: point it at your NATS server, e.g. KILN_NATS_URL=nats://127.0.0.1:4222");
  const adminToken = env.KILN_ADMIN_TOKEN;
  if (!adminToken || adminToken.length < 16) {
    throw new Error("KILN_ADMIN_TOKEN must be set to a secret of at least 16 characters (e.g. `openssl rand -hex 24`)");
  }
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got '${raw}'`);
    return value;
  };
  return {
    natsUrl,
    port: number("KILN_PORT", 8787),
    adminToken,
    compileCacheDir: env.KILN_COMPILE_CACHE_DIR || undefined,
    compileConcurrency: number("KILN_COMPILE_CONCURRENCY", availableParallelism()) || 1,
    replicas: number("KILN_REPLICAS", 1) || 1,
    workAckWaitMs: number("KILN_WORK_ACK_WAIT_MS", 30_000),
    secretsKey: parseSecretsKey(env.KILN_SECRETS_KEY),
  };
}
