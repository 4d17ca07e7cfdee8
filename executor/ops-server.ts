/**
 * The executor's operator endpoints, served on `KILN_EXECUTOR_PORT`:
 * - `/metrics`: Prometheus text (metrics.ts);
 * - `/healthz`: the process answers (a liveness probe: restart it when this fails);
 * - `/readyz`: 200 while NATS is connected and every known tenant's work consumer is being consumed,
 *   503 naming what is missing otherwise (a readiness probe: do not count on this executor meanwhile).
 */
import { Hono } from "hono";
import type { ExecutorMetrics } from "./metrics.ts";

export interface ExecutorReadiness {
  /** What keeps the executor from taking work now; empty when ready. */
  notReady(): string[];
}

export function createOpsApp(metrics: ExecutorMetrics, readiness: ExecutorReadiness): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => c.text(await metrics.render(), 200, { "content-type": metrics.registry.contentType }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const missing = readiness.notReady();
    return missing.length === 0 ? c.json({ status: "ready" }) : c.json({ status: "not ready", reasons: missing }, 503);
  });
  return app;
}
