/** The executor service: public entry. */
import type { NatsConnection } from "@nats-io/nats-core";
import { connectService } from "../infra/nats-connection.ts";
import { createExecutor, type Executor } from "./executor.ts";
import { loadExecutorConfig, type ResolvedExecutorConfig } from "./config.ts";

export { createExecutor, loadExecutorConfig, type Executor, type ResolvedExecutorConfig };

/** Connects to NATS (unless given a connection) and starts an executor; `close` undoes both. */
export async function startExecutor(config: ResolvedExecutorConfig, options: { nc?: NatsConnection } = {}): Promise<Executor> {
  const nc = options.nc ?? (await connectService(config.natsUrl, "kiln-executor"));
  const executor = await createExecutor(config, nc);
  return {
    ...executor,
    async close() {
      await executor.close();
      if (!options.nc) await nc.drain();
    },
  };
}
