/** The executor's Prometheus metrics. */
import { Counter, Gauge, Histogram, renderMetrics, type Metric } from "../infra/metrics-registry.ts";

export class ExecutorMetrics {
  private readonly activations = new Histogram(
    "kiln_activation_duration_seconds",
    "Wall time of one activation.",
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  private readonly steps = new Counter("kiln_steps_committed_total", "Steps recorded in the journal.");
  private readonly finished = new Counter("kiln_instances_finished_total", "Instances that completed or errored.");
  private readonly fetches = new Counter(
    "kiln_fetch_requests_total",
    "Outbound fetch() calls by tenant and outcome (ok, refused, timeout, too-large, invalid, failed).",
  );
  private readonly fetchDuration = new Histogram(
    "kiln_fetch_duration_seconds",
    "Wall time of one outbound fetch() call, redirects included.",
    [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  );
  private readonly concurrencyWaits = new Counter(
    "kiln_concurrency_full_total",
    "Work messages put back for a while because their tenant ran limits.concurrency activations, by tenant.",
  );
  private readonly all: Metric[];

  constructor(inFlight: () => number, idleSandboxes: () => number) {
    this.all = [
      this.activations,
      this.steps,
      this.finished,
      this.fetches,
      this.fetchDuration,
      this.concurrencyWaits,
      new Gauge("kiln_activations_in_flight", "Activations running now.", inFlight),
      new Gauge("kiln_sandboxes_idle", "Warm sandboxes waiting for work.", idleSandboxes),
    ];
  }

  observeActivation(durationMs: number, committedSteps: number): void {
    this.activations.observe(durationMs / 1000);
    if (committedSteps > 0) this.steps.inc({}, committedSteps);
  }

  instanceFinished(outcome: "complete" | "errored"): void {
    this.finished.inc({ outcome });
  }

  fetchFinished(tenant: string, outcome: string, durationMs: number): void {
    this.fetches.inc({ tenant, outcome });
    this.fetchDuration.observe(durationMs / 1000);
  }

  concurrencyFull(tenant: string): void {
    this.concurrencyWaits.inc({ tenant });
  }

  render(): string {
    return renderMetrics(this.all);
  }
}
