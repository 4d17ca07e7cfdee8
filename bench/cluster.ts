/**
 * The Kiln the benchmark measures: a private nats-server (temp store), a gateway and executors as
 * separate processes on the chosen runtime, as in production. Torn down completely on close.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { startNatsServer, type NatsServer } from "../infra/nats-server.ts";
import { generateSecretsKey } from "../infra/secrets-cipher.ts";
import { KilnClient } from "./kiln-client.ts";
import type { Launcher } from "../infra/runtime/mod.ts";
import { startService, type BenchService } from "./service-process.ts";

const ADMIN_TOKEN = `bench-admin-${crypto.randomUUID()}`;
/** One key for the gateway and every executor of the run. */
const SECRETS_KEY = generateSecretsKey();

function gatewayEnv(nats: NatsServer, compileCacheDir: string): Record<string, string> {
  return { KILN_NATS_URL: nats.url, KILN_PORT: "0", KILN_ADMIN_TOKEN: ADMIN_TOKEN, KILN_SECRETS_KEY: SECRETS_KEY, KILN_COMPILE_CACHE_DIR: compileCacheDir };
}

export class BenchCluster {
  private readonly executors = new Set<BenchService>();

  private constructor(
    readonly launcher: Launcher,
    readonly nats: NatsServer,
    /** The bench's own connection: floors, event watching. */
    readonly nc: NatsConnection,
    readonly gateway: BenchService,
    readonly admin: KilnClient,
    private readonly compileCacheDir: string,
  ) {}

  static async start(launcher: Launcher): Promise<BenchCluster> {
    const nats = await startNatsServer();
    // A fresh compile cache: deploy figures of new source include the real compile, while a second
    // tenant deploying the same source reuses it.
    const compileCacheDir = await mkdtemp(join(tmpdir(), "kiln-bench-compile-"));
    try {
      const nc = await connect({ servers: nats.url });
      const gateway = await startService(launcher, "gateway", gatewayEnv(nats, compileCacheDir));
      return new BenchCluster(launcher, nats, nc, gateway, new KilnClient(gateway.url!, ADMIN_TOKEN), compileCacheDir);
    } catch (error) {
      await nats.stop();
      await rm(compileCacheDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts one more executor process; `env` overrides its settings (e.g. KILN_MAX_IDLE_SANDBOXES). */
  async addExecutor(env: Record<string, string> = {}): Promise<BenchService> {
    const executor = await startService(this.launcher, "executor", { KILN_NATS_URL: this.nats.url, KILN_SECRETS_KEY: SECRETS_KEY, ...env });
    this.executors.add(executor);
    return executor;
  }

  /**
   * Starts `npm run dev` (scripts/dev.ts: a gateway and an executor in one process) on this run's
   * NATS and keys, with a data dir of its own; stop the executors first to have it do all the work.
   */
  async startDev(): Promise<BenchService> {
    const dataDir = await mkdtemp(join(tmpdir(), "kiln-bench-dev-"));
    const dev = await startService(this.launcher, "dev", { ...gatewayEnv(this.nats, this.compileCacheDir), KILN_DATA_DIR: dataDir });
    const stop = async () => {
      await dev.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
    return { ...dev, stop, [Symbol.asyncDispose]: stop };
  }

  runningExecutors(): BenchService[] {
    return [...this.executors];
  }

  async stopExecutor(executor: BenchService): Promise<void> {
    this.executors.delete(executor);
    await executor.stop();
  }

  async stopExecutors(): Promise<void> {
    await Promise.all([...this.executors].map((executor) => this.stopExecutor(executor)));
  }

  async close(): Promise<void> {
    await this.stopExecutors();
    await this.gateway.stop();
    await this.nc.close();
    await this.nats.stop();
    await rm(this.compileCacheDir, { recursive: true, force: true });
  }
}
