/**
 * The one place a service's Prometheus registry is built: prom-client with its default process
 * metrics (`process_*`, `nodejs_*`: CPU, memory, heap, event-loop lag, GC), under their usual names so
 * stock dashboards work; the `job` label of the scrape tells gateway from executor. Each service owns
 * its registry instead of prom-client's global one, because tests run a gateway and several
 * executors in one process.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

export { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createPrometheusRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Seconds, as Prometheus wants them, from the milliseconds Kiln measures in. */
export const seconds = (ms: number): number => ms / 1_000;
