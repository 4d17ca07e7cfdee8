/** The executor service: public entry. */
import type { NatsConnection } from "@nats-io/nats-core";
import { listenHttp, type HttpListener } from "../infra/http-listener.ts";
import { connectService } from "../infra/nats-connection.ts";
import { createOpsApp } from "./ops-server.ts";
import { createExecutor, type Executor } from "./executor.ts";
import { loadExecutorConfig, type ResolvedExecutorConfig } from "./config.ts";

export { createExecutor, loadExecutorConfig, type Executor, type ResolvedExecutorConfig };

export interface RunningExecutor extends Executor {
  /** Base URL of its ops endpoints (`/metrics`, `/healthz`, `/readyz`) when `config.port` is set. */
  readonly url: string | undefined;
}

/**
 * Connects to NATS (unless given a connection), starts an executor and, when `config.port` is set,
 * its ops endpoints; `close` undoes all three.
 */
export async function startExecutor(config: ResolvedExecutorConfig, options: { nc?: NatsConnection } = {}): Promise<RunningExecutor> {
  const nc = options.nc ?? (await connectService(config.natsUrl, "kiln-executor"));
  const executor = await createExecutor(config, nc);
  let ops: HttpListener | undefined;
  try {
    if (config.port !== undefined) ops = await listenHttp(createOpsApp(executor.metrics, executor).fetch, config.port, { portSetting: "KILN_EXECUTOR_PORT" });
  } catch (error) {
    // Nothing half-started stays behind: the executor was pulling work already.
    await executor.close();
    if (!options.nc) await nc.drain();
    throw error;
  }
  return {
    ...executor,
    url: ops?.url,
    async close() {
      // The ops endpoints stay up through the shutdown grace, so /readyz says "shutting down".
      await executor.close();
      await ops?.close();
      if (!options.nc) await nc.drain();
    },
  };
}
