/**
 * An executor: pulls envelopes from `KILN_WORK` and runs activations, at most `concurrency` at once.
 * It holds no state another executor could not rebuild from NATS.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { InstanceStore } from "../infra/instance-store.ts";
import { JournalStore } from "../infra/journal-store.ts";
import { openKilnResources } from "../infra/kiln-resources.ts";
import { serviceLogger } from "../infra/logger.ts";
import { watchNatsLiveness } from "../infra/nats-liveness.ts";
import { openQuotaStore } from "../infra/quota/mod.ts";
import { currentRuntime, WASM_MAX_MEMORY_PAGES } from "../infra/runtime/mod.ts";
import { createSecretsCipher } from "../infra/secrets-cipher.ts";
import { ActivationRunner } from "./activation-runner.ts";
import { ArtifactCache } from "./artifact-cache.ts";
import { ConcurrencyGate } from "./concurrency-gate.ts";
import { ConcurrencySlots } from "./concurrency-slots.ts";
import { activationHeartbeatMs, type ResolvedExecutorConfig } from "./config.ts";
import { ControlBoard } from "./control-board.ts";
import { CpuWatchdog } from "./cpu-watchdog.ts";
import { FairDispatcher } from "./fair-dispatcher.ts";
import { ExecutorMetrics } from "./metrics.ts";
import { sampleQueueDepths } from "./queue-depth.ts";
import { SandboxPool } from "./sandbox/sandbox-pool.ts";
import { TenantDirectory } from "./tenant-directory.ts";
import { TenantIntake } from "./tenant-intake.ts";
import { TenantSettingsBoard } from "./tenant-settings.ts";
import { Telemetry } from "./telemetry.ts";

export interface Executor {
  readonly id: string;
  readonly metrics: ExecutorMetrics;
  /** What keeps it from taking work now (NATS away, a tenant's consumer not pulling, shutting down); empty when ready. */
  notReady(): string[];
  /** Activations running right now. */
  inFlight(): number;
  /**
   * Stops taking work, gives running activations `shutdownGraceMs` to finish, then kills their
   * sandboxes and hands their instances to other executors at once; releases the sandboxes.
   */
  close(): Promise<void>;
}

export async function createExecutor(config: ResolvedExecutorConfig, nc: NatsConnection): Promise<Executor> {
  currentRuntime().capWasmMemory(WASM_MAX_MEMORY_PAGES);
  const resources = await openKilnResources(nc, { replicas: config.replicas, workAckWaitMs: config.workAckWaitMs });
  const id = `executor-${crypto.randomUUID().slice(0, 8)}`;
  const log = serviceLogger("executor").child({ executor: id });
  const warn = (message: string) => log.warn(message);
  // Loaded before any work is taken, so no activation runs with a tenant's settings missing.
  const settings = await TenantSettingsBoard.open({
    registry: resources.registry,
    cipher: await createSecretsCipher(config.secretsKey),
    warn,
  });
  const quotas = await openQuotaStore(resources);
  const pool = new SandboxPool({ maxIdle: config.maxIdleSandboxes, spareWorkers: config.spareSandboxWorkers });
  const controls = new ControlBoard();
  controls.listen(nc);
  const watchdog = new CpuWatchdog(config.cpuWatchdogIntervalMs, config.demoteAfterCpuMs);
  const dispatcher = new FairDispatcher(config.concurrency, config.slotReserve);
  const intakes = new Map<string, TenantIntake>();
  const liveness = watchNatsLiveness(nc);
  const metrics = new ExecutorMetrics({
    runningByTenant: () => dispatcher.runningByTenant(),
    idleSandboxes: () => pool.idleCount,
    queueDepths: () => sampleQueueDepths(resources.jsm, [...intakes.keys()]),
  });
  const gate = new ConcurrencyGate();
  const slots = new ConcurrencySlots({
    kv: resources.slots,
    jsm: resources.jsm,
    owner: id,
    leaseMs: config.leaseMs,
    heartbeatMs: activationHeartbeatMs(config),
    gate,
    onFull: (tenant) => metrics.concurrencyFull(tenant),
    warn,
  });
  const runner = new ActivationRunner({
    resources,
    instances: new InstanceStore(resources.instances),
    journal: new JournalStore(resources.journal, resources.js, resources.jsm),
    quotas,
    artifacts: new ArtifactCache(resources.artifacts),
    pool,
    controls,
    slots,
    watchdog,
    settings,
    telemetry: new Telemetry(nc),
    metrics,
    config,
    owner: id,
  });

  const active = new Set<Promise<void>>();
  let closing = false;
  const run = async (message: JsMsg): Promise<void> => {
    // A message that got a slot after close began: someone else runs it, now.
    if (closing) return message.nak(0);
    const task = runner
      .process(message)
      .catch((error: unknown) => {
        log.error({ seq: message.seq, err: error }, "work message failed; NATS redelivers it in a second");
        message.nak(1_000);
      })
      .finally(() => active.delete(task));
    active.add(task);
    return task;
  };
  const intakeOptions = {
    js: resources.js,
    dispatcher,
    gate,
    ensureConsumer: resources.ensureWorkConsumer,
    keepAliveMs: config.workAckWaitMs / 3,
    run,
    warn,
  };
  const tenants = new TenantDirectory(resources.registry);
  await tenants.follow({
    added: (tenant) => intakes.set(tenant, new TenantIntake(tenant, intakeOptions)),
    removed: (tenant) => {
      void intakes.get(tenant)?.close();
      intakes.delete(tenant);
    },
  });

  return {
    id,
    metrics,
    notReady() {
      if (closing) return ["shutting down"];
      const reasons = liveness.connected() ? [] : ["NATS is not connected"];
      for (const [tenant, intake] of intakes) if (!intake.consuming) reasons.push(`not consuming tenant ${tenant}'s work consumer`);
      return reasons;
    },
    inFlight: () => dispatcher.inFlight,
    async close() {
      closing = true;
      tenants.close();
      gate.openAll();
      // Not awaited before the grace period: an intake holding a message waits for a free slot.
      const intakesClosed = Promise.all([...intakes.values()].map((intake) => intake.close()));
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, config.shutdownGraceMs)));
      await Promise.race([Promise.allSettled([...active]), grace]);
      clearTimeout(graceTimer);
      runner.releaseAll("the executor is shutting down; another executor resumes the instance");
      await Promise.allSettled([...active]);
      await slots.close();
      await intakesClosed;
      watchdog.close();
      controls.close();
      settings.close();
      quotas.close();
      await pool.close();
    },
  };
}
