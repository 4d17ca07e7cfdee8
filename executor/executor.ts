/**
 * An executor: pulls envelopes from `KILN_WORK` and runs activations, at most `concurrency` at once.
 * It holds no state another executor could not rebuild from NATS.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Streams, WORK_CONSUMER } from "../contract/mod.ts";
import { InstanceStore } from "../infra/instance-store.ts";
import { JournalStore } from "../infra/journal-store.ts";
import { openKilnResources } from "../infra/kiln-resources.ts";
import { currentRuntime, WASM_MAX_MEMORY_PAGES } from "../infra/runtime/mod.ts";
import { ActivationRunner } from "./activation-runner.ts";
import { ArtifactCache } from "./artifact-cache.ts";
import type { ResolvedExecutorConfig } from "./config.ts";
import { ControlBoard } from "./control-board.ts";
import { ExecutorMetrics } from "./metrics.ts";
import { SandboxPool } from "./sandbox/sandbox-pool.ts";
import { Telemetry } from "./telemetry.ts";

export interface Executor {
  readonly id: string;
  readonly metrics: ExecutorMetrics;
  /** Activations running right now. */
  inFlight(): number;
  /** Stops taking work, lets running activations finish, and releases the sandboxes. */
  close(): Promise<void>;
}

export async function createExecutor(config: ResolvedExecutorConfig, nc: NatsConnection): Promise<Executor> {
  currentRuntime().capWasmMemory(WASM_MAX_MEMORY_PAGES);
  const resources = await openKilnResources(nc, { replicas: config.replicas, workAckWaitMs: config.workAckWaitMs });
  const id = `executor-${crypto.randomUUID().slice(0, 8)}`;
  const pool = new SandboxPool({ maxIdle: config.maxIdleSandboxes });
  const controls = new ControlBoard();
  controls.listen(nc);
  let running = 0;
  const metrics = new ExecutorMetrics(() => running, () => pool.idleCount);
  const runner = new ActivationRunner({
    resources,
    instances: new InstanceStore(resources.instances),
    journal: new JournalStore(resources.journal),
    artifacts: new ArtifactCache(resources.artifacts),
    pool,
    controls,
    telemetry: new Telemetry(nc),
    metrics,
    config,
    owner: id,
  });

  const consumer = await resources.js.consumers.get(Streams.work, WORK_CONSUMER);
  const messages = await consumer.consume({ max_messages: config.concurrency });
  const idle: Array<() => void> = [];
  const active = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const message of messages) {
      while (running >= config.concurrency) await new Promise<void>((resolve) => idle.push(resolve));
      running++;
      const task = runner
        .process(message)
        .catch((error: unknown) => {
          console.error(`[${id}] work message ${message.seq} failed: ${(error as Error).stack ?? String(error)}`);
          message.nak(1_000);
        })
        .finally(() => {
          running--;
          active.delete(task);
          idle.shift()?.();
        });
      active.add(task);
    }
  })();

  return {
    id,
    metrics,
    inFlight: () => running,
    async close() {
      await messages.close();
      await loop;
      await Promise.allSettled([...active]);
      controls.close();
      await pool.close();
    },
  };
}
