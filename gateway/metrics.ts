/** The gateway's Prometheus metrics, served on its `/metrics`. */
import { Counter, createPrometheusRegistry, Gauge, Histogram, seconds, type Registry } from "../infra/prometheus-registry.ts";

export class GatewayMetrics {
  readonly registry: Registry = createPrometheusRegistry();
  private readonly requests = new Counter({
    name: "kiln_http_requests_total",
    help: "HTTP requests by method and status.",
    labelNames: ["method", "status"],
    registers: [this.registry],
  });
  private readonly createsRefused = new Counter({
    name: "kiln_creates_refused_total",
    help: "Creates answered 429 by tenant and code: too_many_instances (limits.maxInstances) or create_rate_exceeded (limits.createsPerSecond).",
    labelNames: ["tenant", "code"],
    registers: [this.registry],
  });
  private readonly deploys = new Histogram({
    name: "kiln_deploy_duration_seconds",
    help: "Time to answer a deploy.",
    buckets: [0.05, 0.2, 1, 5, 10, 20, 60],
    registers: [this.registry],
  });

  constructor(compilesActive: () => number, compilesWaiting: () => number) {
    const registers = [this.registry];
    new Gauge({
      name: "kiln_compiles_active",
      help: "Compiles running now.",
      registers,
      collect() {
        this.set(compilesActive());
      },
    });
    new Gauge({
      name: "kiln_compiles_waiting",
      help: "Compiles waiting for a slot.",
      registers,
      collect() {
        this.set(compilesWaiting());
      },
    });
  }

  request(method: string, status: number): void {
    this.requests.inc({ method, status: String(status) });
  }

  createRefused(tenant: string, code: string): void {
    this.createsRefused.inc({ tenant, code });
  }

  deploy(durationMs: number): void {
    this.deploys.observe(seconds(durationMs));
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
