/** Builds the gateway from its dependencies: NATS resources, the compiler, the HTTP app. `close()` stops its watches. */
import type { NatsConnection } from "@nats-io/nats-core";
import { InstanceStore } from "../infra/instance-store.ts";
import { InstanceIndex } from "../infra/instance-index.ts";
import { JournalStore } from "../infra/journal-store.ts";
import { watchNatsLiveness } from "../infra/nats-liveness.ts";
import { openKilnResources } from "../infra/kiln-resources.ts";
import { serviceLogger } from "../infra/logger.ts";
import { openQuotaStore } from "../infra/quota/mod.ts";
import { createSecretsCipher } from "../infra/secrets-cipher.ts";
import { resolveSettings } from "../contract/mod.ts";
import { createGatewayApp } from "./app.ts";
import { createCompiler } from "./compile/mod.ts";
import type { GatewayConfig } from "./config.ts";
import { InstanceControl } from "./instance-control.ts";
import { GatewayMetrics } from "./metrics.ts";
import { Registry } from "./registry.ts";
import { SecretStore } from "./secret-store.ts";
import { TokenDirectory } from "./token-directory.ts";
import { TokenStore } from "./token-store.ts";
import { TokenUsage } from "./token-usage.ts";

export async function createGateway(config: GatewayConfig, nc: NatsConnection) {
  const resources = await openKilnResources(nc, { replicas: config.replicas, workAckWaitMs: config.workAckWaitMs });
  const compiler = createCompiler({
    concurrency: config.compileConcurrency,
    warmUp: true,
    ...(config.compileCacheDir === undefined ? {} : { cacheDir: config.compileCacheDir }),
  });
  const instances = new InstanceStore(resources.instances);
  const journal = new JournalStore(resources.journal, resources.js, resources.jsm);
  const index = new InstanceIndex(resources.index);
  const metrics = new GatewayMetrics(
    () => compiler.queue.active,
    () => compiler.queue.waiting,
  );
  const log = serviceLogger("gateway");
  const warn = (message: string) => log.warn(message);
  const registry = await Registry.open(resources.registry, warn);
  const tokenStore = new TokenStore(resources.registry);
  const tokens = await TokenDirectory.open({ registry: resources.registry, store: tokenStore, warn });
  const quotas = await openQuotaStore(resources, warn);
  // Not ready while NATS reconnects (the connection is not closed, so /healthz stays ok and nothing
  // restarts the gateway), because every request would answer 503 meanwhile.
  const nats = watchNatsLiveness(nc);
  const app = createGatewayApp({
    adminToken: config.adminToken,
    registry,
    secrets: new SecretStore(resources.registry, await createSecretsCipher(config.secretsKey)),
    tokenStore,
    tokens,
    tokenUsage: new TokenUsage(tokenStore, warn),
    compiler,
    artifacts: resources.artifacts,
    instances,
    index,
    journal,
    control: new InstanceControl({
      nc,
      js: resources.js,
      jsm: resources.jsm,
      instances,
      index,
      journal,
      quotas,
      // Per request, from memory kept current by a watch: a settings change applies to the next create on every gateway.
      limits: async (tenant) => resolveSettings(await registry.getSettings(tenant)).limits,
      refused: (tenant, code) => metrics.createRefused(tenant, code),
    }),
    js: resources.js,
    nc,
    metrics,
    log,
    healthy: () => !nc.isClosed(),
    ready: () => nats.connected(),
  });
  return {
    app,
    resources,
    close: () => {
      tokens.close();
      registry.close();
      quotas.close();
    },
  };
}
