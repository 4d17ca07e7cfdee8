/** The executor's Prometheus metrics, served on `/metrics` of its ops server (ops-server.ts). */
import { Counter, createPrometheusRegistry, Gauge, Histogram, seconds, type Registry } from "../infra/prometheus-registry.ts";

/**
 * Why the host stopped a running activation's sandbox: a small fixed set, so it can be a label.
 * `step-limit` is a step attempt over its timeout, CPU budget or memory; `release` is the executor
 * handing the instance on (shutdown, lost lease); `journal` a commit's journal write that failed after
 * the guest went on (engine-host.ts `commit`); `crash` a sandbox discarded after an unexplained failure.
 */
export type SandboxKillReason = "terminate" | "cpu-limit" | "memory-limit" | "step-limit" | "protocol" | "release" | "journal" | "crash";

/** What the metrics read from the executor when scraped. */
export interface ExecutorMetricSources {
  /** Activations running now, per tenant. */
  runningByTenant(): ReadonlyMap<string, number>;
  idleSandboxes(): number;
  /**
   * Messages waiting in each tenant's work consumer (`num_pending`), sampled at scrape time; a
   * tenant whose sample failed is left out of that scrape.
   */
  queueDepths(): Promise<ReadonlyMap<string, number>>;
}

export class ExecutorMetrics {
  readonly registry: Registry = createPrometheusRegistry();
  private readonly activations = new Counter({
    name: "kiln_activations_total",
    help: "Activations run, by how they ended (complete, errored, suspended, cpu-limit, memory-limit, released, platform-failure).",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  private readonly activationDuration = new Histogram({
    name: "kiln_activation_duration_seconds",
    help: "Wall time of one activation, artifact and journal load included.",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  private readonly steps = new Counter({ name: "kiln_steps_committed_total", help: "Steps recorded in the journal.", registers: [this.registry] });
  private readonly stepDuration = new Histogram({
    name: "kiln_step_duration_seconds",
    help: "Wall time of one step attempt (step.do body), by outcome: ok or failed.",
    labelNames: ["outcome"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300],
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: "kiln_instances_finished_total",
    help: "Instances that completed or errored.",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  private readonly kills = new Counter({
    name: "kiln_sandbox_kills_total",
    help: "Sandboxes of running activations stopped by the host, by reason.",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  private readonly fetches = new Counter({
    name: "kiln_fetch_requests_total",
    help: "Outbound fetch() calls by tenant and outcome (ok, refused, timeout, too-large, invalid, failed).",
    labelNames: ["tenant", "outcome"],
    registers: [this.registry],
  });
  private readonly fetchDuration = new Histogram({
    name: "kiln_fetch_duration_seconds",
    help: "Wall time of one outbound fetch() call, redirects included.",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  private readonly concurrencyWaits = new Counter({
    name: "kiln_concurrency_full_total",
    help: "Work messages put back for a while because their tenant ran limits.concurrency activations, by tenant.",
    labelNames: ["tenant"],
    registers: [this.registry],
  });

  constructor(sources: ExecutorMetricSources) {
    const registers = [this.registry];
    new Gauge({
      name: "kiln_activations_in_flight",
      help: "Activations running now on this executor.",
      registers,
      collect() {
        let total = 0;
        for (const count of sources.runningByTenant().values()) total += count;
        this.set(total);
      },
    });
    new Gauge({
      name: "kiln_tenant_activations_running",
      help: "Activations running now on this executor, by tenant.",
      labelNames: ["tenant"],
      registers,
      collect() {
        // Reset first: a tenant that stopped running keeps no stale series.
        this.reset();
        for (const [tenant, count] of sources.runningByTenant()) this.set({ tenant }, count);
      },
    });
    new Gauge({
      name: "kiln_tenant_queue_depth",
      help: "Work messages waiting in each tenant's work consumer (num_pending), sampled when scraped.",
      labelNames: ["tenant"],
      registers,
      async collect() {
        const depths = await sources.queueDepths();
        this.reset();
        for (const [tenant, depth] of depths) this.set({ tenant }, depth);
      },
    });
    new Gauge({
      name: "kiln_sandboxes_idle",
      help: "Warm sandboxes waiting for work.",
      registers,
      collect() {
        this.set(sources.idleSandboxes());
      },
    });
  }

  activationFinished(outcome: string, durationMs: number, committedSteps: number): void {
    this.activations.inc({ outcome });
    this.activationDuration.observe(seconds(durationMs));
    if (committedSteps > 0) this.steps.inc(committedSteps);
  }

  stepFinished(outcome: "ok" | "failed", durationMs: number): void {
    this.stepDuration.observe({ outcome }, seconds(durationMs));
  }

  instanceFinished(outcome: "complete" | "errored"): void {
    this.finished.inc({ outcome });
  }

  sandboxKilled(reason: SandboxKillReason): void {
    this.kills.inc({ reason });
  }

  fetchFinished(tenant: string, outcome: string, durationMs: number): void {
    this.fetches.inc({ tenant, outcome });
    this.fetchDuration.observe(seconds(durationMs));
  }

  concurrencyFull(tenant: string): void {
    this.concurrencyWaits.inc({ tenant });
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
