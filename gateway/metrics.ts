/** The gateway's Prometheus metrics. */
import { Counter, Gauge, Histogram, renderMetrics, type Metric } from "../infra/metrics-registry.ts";

export class GatewayMetrics {
  private readonly requests = new Counter("kiln_http_requests_total", "HTTP requests by method and status.");
  private readonly createsRefused = new Counter(
    "kiln_creates_refused_total",
    "Creates answered 429 by tenant and code: too_many_instances (limits.maxInstances) or create_rate_exceeded (limits.createsPerSecond).",
  );
  private readonly deploys = new Histogram("kiln_deploy_duration_seconds", "Time to answer a deploy.", [0.05, 0.2, 1, 5, 10, 20, 60]);
  private readonly all: Metric[];

  constructor(compilesActive: () => number, compilesWaiting: () => number) {
    this.all = [
      this.requests,
      this.createsRefused,
      this.deploys,
      new Gauge("kiln_compiles_active", "Compiles running now.", compilesActive),
      new Gauge("kiln_compiles_waiting", "Compiles waiting for a slot.", compilesWaiting),
    ];
  }

  request(method: string, status: number): void {
    this.requests.inc({ method, status: String(status) });
  }

  createRefused(tenant: string, code: string): void {
    this.createsRefused.inc({ tenant, code });
  }

  deploy(durationMs: number): void {
    this.deploys.observe(durationMs / 1000);
  }

  render(): string {
    return renderMetrics(this.all);
  }
}
