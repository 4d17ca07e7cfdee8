/**
 * Takes one work message from `KILN_WORK` to its conclusion: decides whether it is still relevant,
 * claims the instance (lease), runs one activation in a sandbox, records the outcome and settles the
 * message — ack, or nak with a delay when the message carries the instance's timer.
 *
 * The timer design for nats-server 2.9 (no scheduled messages): a suspended instance's wake-up is the
 * work message itself, nak'd with the remaining delay, so a sleeping instance costs the executor
 * nothing. The instance record names the one message that carries its timer (`wake.carrierSeq`); any
 * other message that turns up for a sleeping instance is stale and dropped.
 */
import type { JsMsg } from "@nats-io/jetstream";
import {
  decodeEnvelope,
  FINAL_STATUSES,
  InvalidEnvelopeError,
  PROTOCOL_VERSION,
  serializeError,
  type ActivationRequest,
  type ActivationResult,
  type ActivationStats,
  type Envelope,
  type InstanceRecord,
  type SerializedError,
} from "../contract/mod.ts";
import { readInbox } from "../infra/inbox.ts";
import { RevisionConflictError } from "../infra/errors.ts";
import type { InstanceStore, StoredInstance } from "../infra/instance-store.ts";
import { emptyJournal, type InstanceJournal, type JournalStore } from "../infra/journal-store.ts";
import type { KilnResources } from "../infra/kiln-resources.ts";
import { remapStack } from "../infra/stack-trace.ts";
import type { ArtifactCache, LoadedArtifact } from "./artifact-cache.ts";
import type { ControlBoard } from "./control-board.ts";
import { EngineHost, type Suspension } from "./engine-host.ts";
import type { ResolvedExecutorConfig } from "./config.ts";
import type { SandboxPool } from "./sandbox/sandbox-pool.ts";
import { SandboxKilledError } from "./sandbox/errors.ts";
import type { Telemetry } from "./telemetry.ts";
import type { ExecutorMetrics } from "./metrics.ts";

export interface RunnerDeps {
  resources: KilnResources;
  instances: InstanceStore;
  journal: JournalStore;
  artifacts: ArtifactCache;
  pool: SandboxPool;
  controls: ControlBoard;
  telemetry: Telemetry;
  metrics: ExecutorMetrics;
  config: ResolvedExecutorConfig;
  /** This executor's identity in leases. */
  owner: string;
}

/**
 * Suspensions after which the journal in memory is whole and nobody else can add to it, so it is
 * saved as the next activation's snapshot. Not after a lost lease or a commit conflict.
 */
const SNAPSHOT_AFTER: ReadonlySet<Suspension["kind"]> = new Set(["sleep", "retry", "event"]);

/** How long to wait before looking again at an instance another executor is running. */
const BUSY_RETRY_MS = 200;

type Claim = { kind: "run"; stored: StoredInstance } | { kind: "settled" };

export class ActivationRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async process(message: JsMsg): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(message.data);
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      message.term(error.message);
      return;
    }
    const claim = await this.claim(envelope, message);
    if (claim.kind === "settled") return;
    await this.activate(envelope, message, claim.stored);
  }

  /** Decides what the message means now, and takes the lease if it calls for an activation. */
  private async claim(envelope: Envelope, message: JsMsg): Promise<Claim> {
    const { instances, owner, config } = this.deps;
    for (;;) {
      const stored = await instances.get(envelope.tenant, envelope.instance);
      const now = Date.now();
      if (!stored) {
        message.ack();
        return { kind: "settled" };
      }
      const record = stored.record;
      if (FINAL_STATUSES.has(record.status) || record.status === "paused") {
        message.ack();
        return { kind: "settled" };
      }
      // A live lease is busy whoever holds it: a message redelivered after ack_wait can reach the
      // executor that is still running the first copy, and its own lease must not let it run twice.
      if (record.lease && record.lease.expiresAt > now) {
        message.nak(BUSY_RETRY_MS);
        return { kind: "settled" };
      }
      if (record.wake && record.wake.at > now) {
        if (record.wake.carrierSeq === message.seq) {
          // Redelivered early (after a restart, say): a timer never fires before it is due.
          message.nak(record.wake.at - now);
          return { kind: "settled" };
        }
        if (envelope.reason !== "event" && envelope.reason !== "resume") {
          message.ack();
          return { kind: "settled" };
        }
      }
      const next: InstanceRecord = {
        ...record,
        status: "running",
        updatedAt: now,
        lease: { owner, expiresAt: now + config.leaseMs },
        ...(record.activations === undefined ? {} : { activations: record.activations + 1 }),
      };
      try {
        return { kind: "run", stored: await instances.replace(next, stored.revision) };
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
  }

  /** The journal to replay: nothing for a generation's first activation, else the snapshot or the keys. */
  private async loadJournal(record: InstanceRecord): Promise<InstanceJournal> {
    const { journal } = this.deps;
    const { tenant, id, generation, activations } = record;
    if (activations === undefined) return journal.load(tenant, id, generation);
    if (activations === 1) return emptyJournal();
    return (await journal.loadSnapshot(tenant, id, generation, activations - 1)) ?? journal.load(tenant, id, generation);
  }

  private async activate(envelope: Envelope, message: JsMsg, claimed: StoredInstance): Promise<void> {
    const { deps } = this;
    const { tenant, instance: id, workflow } = envelope;
    const record = claimed.record;
    if (record.control) {
      await this.finish(message, record, { kind: "control", control: record.control }, undefined);
      return;
    }
    deps.controls.clear(tenant, id);
    let leaseLost: string | undefined;
    const heartbeat = setInterval(() => {
      message.working();
      deps.instances
        .modify(tenant, id, (current) => {
          if (current.lease?.owner !== deps.owner || current.generation !== record.generation) {
            leaseLost = "another executor took over the instance";
            return undefined;
          }
          return { ...current, lease: { owner: deps.owner, expiresAt: Date.now() + deps.config.leaseMs } };
        })
        .catch(() => undefined);
    }, deps.config.leaseMs / 3);

    const log = (level: "debug" | "info" | "warn" | "error", text: string, source: "tenant" | "engine") =>
      deps.telemetry.log(tenant, workflow, id, { ts: Date.now(), level, message: text, source });
    let loaded: LoadedArtifact | undefined;
    let result: ActivationResult | undefined;
    let host: EngineHost | undefined;
    let stats: ActivationStats | undefined;
    const versionKey = `${tenant}/${workflow}/${record.version}`;
    try {
      const started = performance.now();
      const [artifact, journal] = await Promise.all([
        deps.artifacts.get(tenant, workflow, record.version),
        this.loadJournal(record),
      ]);
      loaded = artifact;
      const loadMs = performance.now() - started;
      const sandbox = deps.pool.acquire(versionKey, () => ({ glue: artifact.artifact.glue, modules: artifact.modules }));
      const freshInstance = sandbox.activations === 0;
      const replayed = journal.steps.length;
      const engine = new EngineHost(
        {
          journal: deps.journal,
          readInbox: () => readInbox(deps.resources.js, tenant, id),
          now: Date.now,
          holdMs: deps.config.holdMs,
          log: (level, text) => log(level, text, "engine"),
          interruption: (): Suspension | undefined => {
            if (leaseLost) return { kind: "superseded", reason: leaseLost };
            const control = deps.controls.get(tenant, id);
            return control ? { kind: "control", control } : undefined;
          },
          killSandbox: (reason) => void sandbox.kill(reason),
        },
        { tenant, instance: id, generation: record.generation },
        journal,
      );
      host = engine;
      const request: ActivationRequest = {
        v: PROTOCOL_VERSION,
        instanceId: id,
        workflow,
        params: record.params,
        createdAt: record.createdAt,
        now: Date.now(),
        journal: journal.steps,
        seed: `${tenant}.${id}.${record.generation}`,
        env: {},
      };
      deps.telemetry.lifecycle(tenant, workflow, id, "running", { reason: envelope.reason, executor: deps.owner });
      try {
        const answer = await sandbox.activate(JSON.stringify(request), {
          call: (call) => engine.handle(call),
          log: (level, text) => log(asLevel(level), text, "tenant"),
        });
        result = JSON.parse(answer) as ActivationResult;
        deps.pool.release(versionKey, sandbox);
      } catch (error) {
        await engine.settled();
        if (!(error instanceof SandboxKilledError) || !engine.suspension) {
          void sandbox.kill("discarded after a failure");
          result = { outcome: "errored", error: crashError(error) };
        } else {
          result = { outcome: "suspended" };
        }
      } finally {
        engine.dispose();
      }
      const ms = performance.now() - started;
      deps.metrics.observeActivation(ms, engine.committed);
      stats = { ms: round(ms), loadMs: round(loadMs), replayed, committed: engine.committed, freshInstance, executor: deps.owner };
      const suspension = engine.suspension;
      if (result.outcome === "suspended" && suspension && SNAPSHOT_AFTER.has(suspension.kind) && !leaseLost && record.activations !== undefined) {
        await deps.journal
          .saveSnapshot(tenant, id, record.generation, record.activations, journal)
          .catch((error: unknown) => log("warn", `could not save the journal snapshot (the next activation reads the journal instead): ${(error as Error).message}`, "engine"));
      }
    } catch (error) {
      // The platform failed (NATS unreachable, artifact missing…): nothing was decided, try again soon.
      clearInterval(heartbeat);
      log("error", `activation failed on the executor: ${(error as Error).message}; retrying`, "engine");
      await deps.instances
        .modify(tenant, id, (current) => (current.lease?.owner === deps.owner ? { ...current, lease: undefined } : undefined))
        .catch(() => undefined);
      message.nak(1_000);
      return;
    }
    clearInterval(heartbeat);
    if (result.outcome === "errored" && loaded) result = { ...result, error: mapError(result.error, loaded) };
    await this.finish(message, record, result.outcome === "suspended" ? host?.suspension : undefined, result, stats);
  }

  /** Records how the activation ended and settles the message. */
  private async finish(
    message: JsMsg,
    activated: InstanceRecord,
    suspension: Suspension | undefined,
    result: ActivationResult | undefined,
    stats?: ActivationStats,
  ): Promise<void> {
    const { deps } = this;
    const { tenant, id, workflow, generation } = activated;
    let settle: () => void = () => message.ack();
    let event: string | undefined;
    const written = await deps.instances.modify(tenant, id, (current) => {
      if (current.generation !== generation || (current.lease && current.lease.owner !== deps.owner)) {
        // Restarted or taken over meanwhile: this activation's outcome no longer applies.
        settle = () => message.ack();
        return current.lease?.owner === deps.owner ? { ...current, lease: undefined } : undefined;
      }
      const now = Date.now();
      const next: InstanceRecord = { ...current, updatedAt: now, lease: undefined, wake: undefined, suspendedOn: undefined };
      settle = () => message.ack();
      if (FINAL_STATUSES.has(current.status)) {
        // Terminated by the tenant while this activation ran: the request stands.
        event = undefined;
        return next;
      }
      if (result && result.outcome === "complete") {
        event = "complete";
        return { ...next, status: "complete", output: result.output, control: undefined };
      }
      if (result && result.outcome === "errored") {
        event = "errored";
        return { ...next, status: "errored", error: result.error, control: undefined };
      }
      const control = suspension?.kind === "control" ? suspension.control : current.control;
      if (control === "terminate") {
        event = "terminated";
        return { ...next, status: "terminated", control: undefined };
      }
      if (control === "pause") {
        event = "paused";
        return { ...next, status: "paused", control: undefined };
      }
      if (!suspension || suspension.kind === "superseded" || suspension.kind === "control") {
        // Nothing left to wait for here (lost the instance): look at the message again shortly.
        settle = () => message.nak(BUSY_RETRY_MS);
        return { ...next, status: current.status === "running" ? "queued" : current.status };
      }
      const status = suspension.kind === "event" ? "waiting" : "sleeping";
      event = status;
      const suspendedOn = { kind: suspension.kind, step: suspension.step, until: suspension.until, ...(suspension.eventType ? { eventType: suspension.eventType } : {}) };
      if (current.wake && current.wake.at === suspension.until && current.wake.carrierSeq !== message.seq) {
        return { ...next, status, suspendedOn, wake: current.wake };
      }
      settle = () => message.nak(Math.max(0, suspension.until - Date.now()));
      return { ...next, status, suspendedOn, wake: { at: suspension.until, carrierSeq: message.seq } };
    });
    settle();
    if (written && event) deps.telemetry.lifecycle(tenant, workflow, id, event, { status: written.record.status, ...(stats ? { activation: stats } : {}) });
    if (written && (result?.outcome === "complete" || result?.outcome === "errored")) deps.metrics.instanceFinished(result.outcome);
  }
}

/** Milliseconds to 0.01 ms: finer is noise, coarser hides warm activations. */
function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function asLevel(level: string): "debug" | "info" | "warn" | "error" {
  return level === "debug" || level === "warn" || level === "error" ? level : "info";
}

function crashError(error: unknown): SerializedError {
  const serialized = serializeError(error);
  return { name: serialized.name, message: `the workflow's sandbox failed: ${serialized.message}` };
}

function mapError(error: SerializedError, loaded: LoadedArtifact): SerializedError {
  return error.stack === undefined ? error : { ...error, stack: remapStack(error.stack, loaded.artifact) };
}
