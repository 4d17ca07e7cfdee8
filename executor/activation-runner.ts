/**
 * Takes one work message from `KILN_WORK` to its conclusion: decides whether it is still relevant,
 * takes one of the tenant's concurrency slots (`concurrency-slots.ts`), claims the instance (lease),
 * runs one activation in a sandbox, records the outcome and settles the message — ack, or nak with a
 * delay when the message carries the instance's timer.
 *
 * Every decision with a race in it is a pure function in `decisions/` (claim, lease, settle); this
 * class reads the record, asks the decision, writes it with a compare-and-set, and does what it says.
 *
 * The timer design for nats-server 2.9 (no scheduled messages): a suspended instance's wake-up is the
 * work message itself, nak'd with the remaining delay, so a sleeping instance costs the executor
 * nothing. The instance record names the one message that carries its timer (`wake.carrierSeq`); any
 * other message that turns up for a sleeping instance is stale and dropped.
 */
import type { JsMsg } from "@nats-io/jetstream";
import {
  decodeEnvelope,
  instanceRef,
  Keys,
  InvalidEnvelopeError,
  parseActivationResult,
  PlatformError,
  PROTOCOL_VERSION,
  ProtocolError,
  serializeError,
  type ActivationRequest,
  type ActivationStats,
  type Envelope,
  type InstanceRecord,
  type InstanceRef,
  type SerializedError,
} from "../contract/mod.ts";
import { readInbox } from "../infra/inbox.ts";
import { AlreadyExistsError, RevisionConflictError } from "../infra/errors.ts";
import type { InstanceStore, StoredInstance } from "../infra/instance-store.ts";
import { type InstanceJournal, type JournalStore, type SnapshotReadAhead } from "../infra/journal-store.ts";
import type { KilnResources } from "../infra/kiln-resources.ts";
import { serviceLogger, type Logger } from "../infra/logger.ts";
import { becomesFinal, type QuotaStore } from "../infra/quota/mod.ts";
import { remapStack } from "../infra/stack-trace.ts";
import { withdrawWork } from "../infra/work-queue.ts";
import { delay } from "../infra/delay.ts";
import type { ArtifactCache, LoadedArtifact } from "./artifact-cache.ts";
import type { ConcurrencySlots, SlotSeat } from "./concurrency-slots.ts";
import type { ControlBoard } from "./control-board.ts";
import type { CpuWatchdog } from "./cpu-watchdog.ts";
import { decideClaim, isReturning } from "./decisions/claim.ts";
import type { RetentionPolicy } from "./decisions/retention.ts";
import { purgeEarlierGenerations, purgeInstanceData, removeInstance, type InstanceRemovalDeps } from "../infra/instance-removal.ts";
import { markConcurrencyWait } from "./decisions/concurrency-slot.ts";
import { discardReleasesSlot } from "./decisions/start-without-record.ts";
import type { LeaseHolder } from "./decisions/lease.ts";
import { decideSettle, type ActivationOutcome, type Settlement } from "./decisions/settle.ts";
import { createHttpHost } from "./egress/mod.ts";
import { EngineHost } from "./engine-host.ts";
import { activationHeartbeatMs, type ResolvedExecutorConfig } from "./config.ts";
import { LeaseKeeper } from "./lease-keeper.ts";
import { cappedTenantLog } from "./log-cap.ts";
import { isOutOfMemory, memoryLimitError, sandboxMemoryPages } from "./memory-limit.ts";
import { redactError, secretRedactor } from "./redact-secrets.ts";
import { classifyPlatformFailure } from "./platform-failure.ts";
import { SuspendedRecords } from "./suspended-records.ts";
import type { SandboxPool } from "./sandbox/sandbox-pool.ts";
import { SandboxKilledError } from "./sandbox/errors.ts";
import type { ActivationHandlers, Sandbox } from "./sandbox/sandbox.ts";
import type { Suspension } from "./suspension.ts";
import type { Telemetry } from "./telemetry.ts";
import type { TenantSettingsBoard } from "./tenant-settings.ts";
import type { ExecutorMetrics, SandboxKillReason } from "./metrics.ts";

export interface RunnerDeps {
  resources: KilnResources;
  instances: InstanceStore;
  journal: JournalStore;
  /** Gets back the `limits.maxInstances` slot of an instance this executor makes final. */
  quotas: QuotaStore;
  artifacts: ArtifactCache;
  pool: SandboxPool;
  controls: ControlBoard;
  /** The tenants' `limits.concurrency` slots, shared by all executors. */
  slots: ConcurrencySlots;
  /** Stops a sandbox over its CPU budget. */
  watchdog: CpuWatchdog;
  /** Tenant settings and decrypted secrets, followed live. */
  settings: TenantSettingsBoard;
  telemetry: Telemetry;
  metrics: ExecutorMetrics;
  config: ResolvedExecutorConfig;
  /** This executor's identity in leases. */
  owner: string;
  /** The clock every decision reads. @default Date.now */
  now?: () => number;
}

/**
 * Suspensions after which the journal in memory is whole and nobody else can add to it, so it is
 * saved as the next activation's snapshot. Not after a lost lease or a commit conflict.
 */
const SNAPSHOT_AFTER: ReadonlySet<Suspension["kind"]> = new Set(["sleep", "retry", "event"]);

/**
 * Whether the activation ended with its journal whole: a suspension above, or a run that completed
 * or errored (its journal is final for this generation). The status view reads that snapshot instead
 * of the journal's keys, whose read costs a consumer that walks the whole bucket on nats-server 2.9.
 */
const savesSnapshot = (outcome: ActivationOutcome): boolean =>
  outcome.kind === "complete" || outcome.kind === "errored" || (outcome.kind === "suspended" && SNAPSHOT_AFTER.has(outcome.suspension.kind));

type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Why an ended activation's outbound requests stop. One reason for every activation: without one,
 * `abort()` builds a DOMException and its stack each time, ~50 µs of the executor's main thread
 * per activation in the 32-clients bench (`--cpu-prof`). Requests in flight end as timed out
 * (egress/outbound-fetch.ts); nobody reads the reason.
 */
const ACTIVATION_ENDED = new Error("the activation ended: its outbound requests are stopped");

/** An activation that saves no journal snapshot. */
const NOTHING_SAVED: Promise<void> = Promise.resolve();

/** Why the host killed an activation's sandbox, which decides what its end means. */
type ActivationStop = { kind: "terminate" } | { kind: "cpu-limit"; error: SerializedError } | { kind: "release"; reason: string };

export class ActivationRunner {
  private readonly now: () => number;
  /** How to stop each activation that has a sandbox, for `releaseAll`. */
  private readonly running = new Set<(reason: string) => void>();
  private releasing: string | undefined;
  private readonly log: Logger;
  /** Records as this executor suspended instances on a timer, for the claims that bring them back. */
  private readonly suspended = new SuspendedRecords();

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.log = serviceLogger("executor").child({ executor: deps.owner });
  }

  /**
   * Kills the sandbox of every activation running now or starting from now on, and hands their
   * instances back (lease cleared, message nak'd without delay) so another executor resumes them at
   * once. For shutdown, after the grace period.
   */
  releaseAll(reason: string): void {
    this.releasing = reason;
    for (const release of this.running) release(reason);
  }

  async process(message: JsMsg): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(message.data);
    } catch (error) {
      if (!(error instanceof InvalidEnvelopeError)) throw error;
      message.term(error.message);
      return;
    }
    // Held from before the claim until the message is settled: the tenant never runs over its limit.
    const seat = this.deps.slots.seat(envelope.tenant, `${envelope.workflow}/${envelope.instance}`);
    const ref = instanceRef({ ...envelope, id: envelope.instance });
    const returning = isReturning(envelope.reason, message.redelivered);
    // An instance coming back replays what it ran before: its journal snapshot is read beside its
    // record (or with the claim's write), one round trip less before the sandbox starts.
    const snapshotAhead = returning ? this.deps.journal.readSnapshotAhead(ref) : undefined;
    try {
      const claimed = await this.claim(envelope, ref, message, seat, returning ? this.suspended.take(ref) : undefined);
      if (!claimed) return;
      const record = claimed.record;
      const holder: LeaseHolder = { owner: this.deps.owner, generation: record.generation, activation: record.activations };
      if (record.control) {
        await this.settle(message, claimed, holder, { kind: "suspended", suspension: { kind: "control", control: record.control } });
        return;
      }
      const { outcome, stats, lastWritten, snapshotSaved } = await this.activate(envelope, message, claimed, holder, snapshotAhead);
      // The snapshot goes out beside the settle, not before it: one round trip less at the end of
      // every activation. Nothing waits on it: the status view and the next activation read the
      // journal's keys when the snapshot is not there (or not this activation's), as after a failed save.
      await Promise.all([this.settle(message, lastWritten, holder, outcome, stats, snapshotSaved), snapshotSaved]);
    } finally {
      await seat.release();
    }
  }

  /**
   * Asks what the message means now; takes a concurrency slot and the lease if it calls for an
   * activation. `remembered`, the record as this executor suspended the instance, stands in for the
   * first read only if it calls for a claim: the claim's compare-and-set then checks it is current.
   */
  private async claim(
    envelope: Envelope,
    ref: InstanceRef,
    message: JsMsg,
    seat: SlotSeat,
    remembered: StoredInstance | undefined,
  ): Promise<StoredInstance | undefined> {
    const { instances, owner, config, settings } = this.deps;
    const retention = this.retentionOf(envelope.tenant);
    const { reason, createdAt, change } = envelope;
    let rereads = 0;
    let unread = remembered;
    for (;;) {
      const stored = unread ?? (await instances.get(ref));
      const decision = decideClaim(stored, { reason, seq: message.seq, createdAt, rereads, change }, this.now(), {
        owner,
        leaseMs: config.leaseMs,
        retention,
      });
      const fromMemory = unread !== undefined;
      unread = undefined;
      if (fromMemory && decision.do !== "claim") continue;
      if (decision.do === "claim") {
        const { concurrency } = settings.settings(envelope.tenant).limits;
        const slot = await seat.take(concurrency);
        if (!slot.held) {
          // The tenant is at its limit: the message comes back shortly, and nothing counts it as a failure.
          message.nak(slot.retryInMs);
          await this.showConcurrencyWait(stored!, concurrency);
          return undefined;
        }
      }
      try {
        switch (decision.do) {
          case "drop":
            message.ack();
            return undefined;
          case "later":
            message.nak(decision.delayMs);
            return undefined;
          case "reread":
            if (decision.delayMs > 0) await delay(decision.delayMs);
            rereads++;
            continue;
          case "discard":
            await this.discardStart(envelope, message, decision.why);
            return undefined;
          case "expire":
            await removeInstance(this.removal, ref, stored!.revision);
            this.deps.telemetry.lifecycle(ref.tenant, ref.workflow, ref.instance, "expired");
            message.ack();
            return undefined;
          case "park":
            await instances.replace(decision.next, stored!.revision);
            message.nak(decision.delayMs);
            return undefined;
          case "apply":
            await this.applyChange(stored!.record, decision.next, stored!.revision, change?.eventsFrom, decision.why);
            continue;
          case "claim":
            return await instances.replace(decision.next, stored!.revision);
        }
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
  }

  /**
   * Writes the resume or restart a message carries in place of the gateway that queued it (it died,
   * or is a moment behind: contract/lifecycle-order.ts); after a restart, purges what the runs
   * before it left, as the gateway would have.
   */
  private async applyChange(record: InstanceRecord, next: InstanceRecord, revision: number, eventsFrom: number | undefined, why: string): Promise<void> {
    await this.deps.instances.replace(next, revision);
    const ref = instanceRef(record);
    this.log.debug(
      { tenant: ref.tenant, workflow: ref.workflow, instance: ref.instance, generation: next.generation },
      `applied a ${next.generation > record.generation ? "restart" : "resume"}: ${why}`,
    );
    if (next.generation > record.generation) await purgeEarlierGenerations(this.removal, ref, next.generation, eventsFrom);
  }

  /**
   * Takes a start whose create never completed off the stream. Whoever removes it gives back the
   * quota slot the gateway reserved for it, so a gateway cleaning up after a failed create and an
   * executor (or two, after a late ack) discarding it never both do; and only if the create never
   * wrote its record, whose deletion (say, while the start waited in a backlog) gave the slot back.
   */
  private async discardStart(envelope: Envelope, message: JsMsg, why: string): Promise<void> {
    const { tenant, workflow, instance, createdAt } = envelope;
    const removed = await withdrawWork(this.deps.resources.jsm, message.seq);
    message.ack();
    // If giving the slot back fails, it stays taken until the tenant's next recount: high, never low.
    let released = false;
    if (removed && createdAt !== undefined) {
      released = await this.deps.instances
        .trace(instanceRef({ ...envelope, id: instance }))
        .then((trace) => discardReleasesSlot(trace, createdAt) && this.deps.quotas.releaseDiscardedStart(tenant, createdAt))
        .catch((err: unknown) => {
          this.log.warn({ tenant, err }, "could not give back the slot of a discarded start; the tenant's next reconciliation will");
          return false;
        });
    }
    this.log.warn({ tenant, workflow, instance, seq: message.seq, removed, released }, `discarded a start message: ${why}`);
  }

  /** Says in the status why the instance is not running yet. Only informative: a lost race or NATS trouble skips it. */
  private async showConcurrencyWait(stored: StoredInstance, limit: number): Promise<void> {
    const next = markConcurrencyWait(stored.record, limit, this.now());
    if (next) await this.deps.instances.replace(next, stored.revision).catch(() => undefined);
  }

  /** The journal to replay: nothing for a generation's first activation, else the snapshot or the keys. */
  private loadJournal(record: InstanceRecord, snapshotAhead: SnapshotReadAhead | undefined): Promise<InstanceJournal> {
    const { generation, activations, keptSteps } = record;
    // `activations` already counts this activation's claim: the journal is as the one before left it.
    return this.deps.journal.loadAfter(instanceRef(record), generation, activations === undefined ? undefined : activations - 1, keptSteps, snapshotAhead);
  }

  /** Runs the workflow until it finishes or suspends; never throws: a platform failure is an outcome. */
  private async activate(
    envelope: Envelope,
    message: JsMsg,
    claimed: StoredInstance,
    holder: LeaseHolder,
    snapshotAhead: SnapshotReadAhead | undefined,
  ): Promise<{ outcome: ActivationOutcome; stats?: ActivationStats; lastWritten: StoredInstance; snapshotSaved: Promise<void> }> {
    const { deps } = this;
    const record = claimed.record;
    const { tenant, instance: id, workflow } = envelope;
    const ref = instanceRef(record);
    deps.controls.clear(ref);
    const lease = new LeaseKeeper({
      instances: deps.instances,
      ref,
      holder,
      leaseMs: deps.config.leaseMs,
      heartbeatMs: activationHeartbeatMs(deps.config),
      claimed,
      now: this.now,
      onHeartbeat: () => message.working(),
    });
    lease.start();
    // Read once per activation: a settings change applies from the next activation on.
    const settings = deps.settings.settings(tenant);
    const secrets = deps.settings.secrets(tenant);
    const redact = secretRedactor(secrets);
    const log = (level: LogLevel, text: string, source: "tenant" | "engine") =>
      deps.telemetry.log(tenant, workflow, id, { ts: this.now(), level, message: redact(text), source });
    const tenantLog = cappedTenantLog<LogLevel>(
      settings.limits.logLinesPerActivation,
      (level, text) => log(level, text, "tenant"),
      (text) => log("warn", text, "engine"),
    );
    let engine: EngineHost | undefined;
    let stop: ActivationStop | undefined;
    const unhooks: (() => void)[] = [];
    const outbound = new AbortController();
    const started = performance.now();
    try {
      const memoryPages = sandboxMemoryPages(settings.limits.memoryBytes);
      const [loaded, journal] = await Promise.all([deps.artifacts.get(tenant, workflow, record.version, memoryPages), this.loadJournal(record, snapshotAhead)]);
      const loadMs = performance.now() - started;
      // The cap is compiled in: a sandbox made under another `limits.memoryBytes` is another kind.
      const versionKey = `${tenant}/${workflow}/${record.version}@${memoryPages}`;
      const sandbox = deps.pool.acquire(versionKey, () => ({ glue: loaded.artifact.glue, modules: loaded.modules }));
      const freshInstance = sandbox.activations === 0;
      const replayed = journal.steps.length;
      let killed = false;
      // Counted once per activation: a sandbox stopped for one reason may be told to stop again.
      const kill = (reason: SandboxKillReason, message: string) => {
        if (!killed) deps.metrics.sandboxKilled(reason);
        killed = true;
        void sandbox.kill(message);
      };
      const halt = (why: ActivationStop, reason: string) => {
        stop ??= why;
        kill(why.kind, reason);
      };
      engine = new EngineHost(
        {
          journal: deps.journal,
          readInbox: () => readInbox(deps.resources.js, ref, record.generation),
          now: this.now,
          holdMs: deps.config.holdMs,
          log: (level, text) => log(level, text, "engine"),
          interruption: (): Suspension | undefined => {
            if (lease.lost !== undefined) return { kind: "superseded", reason: lease.lost };
            const control = deps.controls.get(ref);
            return control ? { kind: "control", control } : undefined;
          },
          assureLease: () => lease.assure(),
          stepPermitUntil: () => lease.stepPermitUntil(),
          publishStepPermit: (until) => sandbox.setStepPermit(until),
          killSandbox: (reason, kind) => kill(kind, reason),
          stepFinished: (outcome, ms) => deps.metrics.stepFinished(outcome, ms),
          stepTimeoutMaxMs: settings.limits.stepTimeoutMaxMs,
          memoryPages,
          redact,
        },
        { ref, generation: record.generation },
        journal,
      );
      const request: ActivationRequest = {
        v: PROTOCOL_VERSION,
        instanceId: id,
        workflow,
        params: record.params,
        createdAt: record.createdAt,
        now: this.now(),
        journal: journal.steps,
        seed: `${Keys.instance(ref)}.${record.generation}`,
        // Secrets win over a variable of the same name: the tenant set the secret on purpose.
        env: { ...settings.envVars, ...secrets },
      };
      deps.telemetry.lifecycle(tenant, workflow, id, "running", { reason: envelope.reason, executor: deps.owner });
      const activeEngine = engine;
      const fetch = createHttpHost({
        signal: outbound.signal,
        settings: () => deps.settings.settings(tenant),
        stepRemainingMs: () => activeEngine.stepRemainingMs(),
        log: (level, text) => log(level, text, "engine"),
        observe: (outcome, ms) => deps.metrics.fetchFinished(tenant, outcome, ms),
      });
      // Terminate does not wait for a step boundary: whatever the guest runs, its sandbox goes now.
      const terminate = () => halt({ kind: "terminate" }, "the instance was terminated");
      // Any request (a pause too) withdraws the step permit at once: the next step start asks, and the
      // engine answers it with the pause.
      unhooks.push(
        deps.controls.onRequest(ref, (control) => {
          sandbox.setStepPermit(0);
          if (control === "terminate") terminate();
        }),
      );
      if (deps.controls.get(ref) === "terminate") terminate();
      const release = (reason: string) => halt({ kind: "release", reason }, reason);
      this.running.add(release);
      unhooks.push(() => this.running.delete(release));
      if (this.releasing !== undefined) release(this.releasing);
      unhooks.push(
        deps.watchdog.watch({
          tenant,
          cpuMs: () => sandbox.cpuMs(),
          loaded: () => sandbox.isLoaded,
          step: () => activeEngine.runningAttempt(),
          stepsStarted: () => activeEngine.stepsStarted,
          limits: settings.limits,
          demote: () => sandbox.demote(),
          over: (verdict) => {
            log("warn", verdict.error.message, "engine");
            if (verdict.phase === "step") activeEngine.abortAttempt(verdict.step, verdict.error);
            else halt({ kind: "cpu-limit", error: verdict.error }, verdict.error.message);
          },
        }),
      );
      const ran = await this.runInSandbox(sandbox, kill, versionKey, engine, fetch, request, loaded, memoryPages, tenantLog.log, () => stop);
      const outcome = redactOutcome(ran, redact);
      if (outcome.kind === "memory-limit") log("warn", outcome.error.message, "engine");
      const ms = performance.now() - started;
      deps.metrics.activationFinished(outcome.kind, ms, engine.committed);
      const stats: ActivationStats = { ms: round(ms), loadMs: round(loadMs), replayed, committed: engine.committed, freshInstance, executor: deps.owner };
      const snapshotSaved =
        savesSnapshot(outcome) && lease.lost === undefined && record.activations !== undefined
          ? deps.journal
              .saveSnapshot(ref, record.generation, record.activations, journal)
              .catch((error: unknown) =>
                log("warn", `could not save the journal snapshot (the next activation reads the journal instead): ${(error as Error).message}`, "engine"),
              )
          : NOTHING_SAVED;
      return { outcome, stats, lastWritten: lease.lastWritten, snapshotSaved };
    } catch (error) {
      const failure = classifyPlatformFailure(error);
      // Failed before or around the sandbox (artifact or journal load, say): still an activation run.
      deps.metrics.activationFinished("platform-failure", performance.now() - started, engine?.committed ?? 0);
      log("error", `activation failed on the executor: [${failure.code}] ${failure.message}`, "engine");
      return { outcome: redactOutcome({ kind: "platform-failure", error: failure }, redact), lastWritten: lease.lastWritten, snapshotSaved: NOTHING_SAVED };
    } finally {
      // A request still in flight belongs to a sandbox that is gone or done.
      outbound.abort(ACTIVATION_ENDED);
      tenantLog.end();
      for (const unhook of unhooks) unhook();
      lease.stop();
    }
  }

  /** One activation in the sandbox, and what its end means. */
  private async runInSandbox(
    sandbox: Sandbox,
    kill: (reason: SandboxKillReason, message: string) => void,
    versionKey: string,
    engine: EngineHost,
    fetch: ActivationHandlers["fetch"],
    request: ActivationRequest,
    loaded: LoadedArtifact,
    memoryPages: number,
    log: (level: LogLevel, text: string) => void,
    stopped: () => ActivationStop | undefined,
  ): Promise<ActivationOutcome> {
    try {
      engine.refreshStepPermit();
      const answer = await sandbox.activate(
        JSON.stringify(request),
        {
          call: (call) => engine.handle(call),
          stepStarted: (call) => engine.stepStarted(call),
          fetch,
          log: (level, text) => log(asLevel(level), text),
        },
        engine.stepPermitTerms(),
      );
      // The last commit's journal write may still be on its way (engine-host.ts `commit`): the
      // result counts once it is durable.
      await engine.journalWritten();
      const result = parseActivationResult(answer);
      if (result.outcome === "suspended" && !engine.suspension) {
        throw new ProtocolError("activate result", "it answered 'suspended', but no engine.call answer asked it to suspend");
      }
      if (result.outcome === "errored" && isOutOfMemory(result.error)) {
        // Outside a step body: the sandbox's memory stays grown, so it goes (see memory-limit.ts).
        const error = memoryLimitError(memoryPages);
        kill("memory-limit", error.message);
        return { kind: "memory-limit", error };
      }
      this.deps.pool.release(versionKey, sandbox);
      if (result.outcome === "complete") return { kind: "complete", output: result.output };
      if (result.outcome === "errored") return { kind: "errored", error: mapError(result.error, loaded) };
      return { kind: "suspended", suspension: engine.suspension! };
    } catch (error) {
      await engine.settled();
      // Stopped by the host on purpose: a terminate, a CPU budget, or the executor shutting down.
      const stop = stopped();
      if (stop?.kind === "terminate") return { kind: "suspended", suspension: { kind: "control", control: "terminate" } };
      if (stop?.kind === "cpu-limit") return { kind: "cpu-limit", error: stop.error };
      if (stop?.kind === "release") return { kind: "released", reason: stop.reason };
      // The guest broke the protocol: what it said cannot be trusted, and it would say it again.
      const refused = engine.protocolError ?? (error instanceof ProtocolError ? error : undefined);
      if (refused) {
        kill("protocol", refused.message);
        return { kind: "errored", error: refused.toJSON() };
      }
      if (engine.platformFailure !== undefined) return { kind: "platform-failure", error: classifyPlatformFailure(engine.platformFailure) };
      // Killed by the host with a reason to suspend, or another executor wrote a step this one committed.
      if ((error instanceof SandboxKilledError || error instanceof AlreadyExistsError) && engine.suspension) {
        return { kind: "suspended", suspension: engine.suspension };
      }
      kill("crash", "discarded after a failure");
      return { kind: "errored", error: crashError(error) };
    } finally {
      engine.dispose();
    }
  }

  private get removal(): InstanceRemovalDeps {
    return { instances: this.deps.instances, journal: this.deps.journal, jsm: this.deps.resources.jsm };
  }

  /** The tenant's retention defaults, from its settings. */
  private retentionOf(tenant: string): RetentionPolicy {
    const { successRetentionMs, errorRetentionMs } = this.deps.settings.settings(tenant).retention;
    return { successMs: successRetentionMs, errorMs: errorRetentionMs };
  }

  /**
   * Records how the activation ended and settles the message. `lastWritten` is the record as this
   * activation last wrote it: the write tries it first, and reads only if someone wrote since.
   */
  private async settle(
    message: JsMsg,
    lastWritten: StoredInstance,
    holder: LeaseHolder,
    outcome: ActivationOutcome,
    stats?: ActivationStats,
    snapshotSaved: Promise<void> = NOTHING_SAVED,
  ): Promise<void> {
    const { deps } = this;
    const activated = lastWritten.record;
    const { tenant, id, workflow } = activated;
    let settlement: Settlement | undefined;
    let finished = false;
    // A run that ended most likely makes the instance final, which gives its quota slot back: the
    // slot's record is read while the instance record is written.
    const quotaAhead = outcome.kind === "complete" || outcome.kind === "errored" ? deps.quotas.readAhead(tenant) : undefined;
    const written = await deps.instances.modify(
      instanceRef(activated),
      (current) => {
        settlement = decideSettle(current, holder, outcome, message.seq, this.now(), this.retentionOf(tenant));
        finished = becomesFinal(current, settlement.next);
        return settlement.next;
      },
      lastWritten,
    );
    if (!written || !settlement) {
      // Deleted meanwhile (`DELETE …?force=1`): this activation may have committed steps after the
      // purge, and it is the last writer, so it purges again — once its own snapshot has landed.
      await snapshotSaved;
      await purgeInstanceData(this.removal, instanceRef(activated));
      message.ack();
      return;
    }
    if (settlement.message.do === "ack") message.ack();
    else message.nak(settlement.message.delayMs);
    // This message brings the instance back when its timer is due, most likely here.
    if (!finished && settlement.message.do === "nak" && settlement.message.delayMs > 0) this.suspended.keep(written);
    if (finished) {
      // Only the write that made the instance final gives its slot back; if this fails, the slot stays
      // taken until the gateway reconciles the tenant's count.
      await deps.quotas
        .release(tenant, 1, quotaAhead)
        .catch((err: unknown) =>
          this.log.warn({ tenant, workflow, instance: id, err }, "could not give back the instance's slot; the tenant's next reconciliation will"),
        );
    }
    if (settlement.next === undefined || settlement.event === undefined) return;
    deps.telemetry.lifecycle(tenant, workflow, id, settlement.event, { status: written.record.status, ...(stats ? { activation: stats } : {}) });
    if (settlement.event === "complete" || settlement.event === "errored") deps.metrics.instanceFinished(settlement.event);
  }
}

/** Milliseconds to 0.01 ms: finer is noise, coarser hides warm activations. */
function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function asLevel(level: string): LogLevel {
  return level === "debug" || level === "warn" || level === "error" ? level : "info";
}

/**
 * The outcome with the tenant's secret values out of its error, which the instance record keeps and
 * the status shows. A platform failure too: its message may quote what the guest sent.
 */
function redactOutcome(outcome: ActivationOutcome, redact: (text: string) => string): ActivationOutcome {
  if (outcome.kind === "errored") return { ...outcome, error: redactError(outcome.error, redact) };
  if (outcome.kind !== "platform-failure") return outcome;
  const message = redact(outcome.error.message);
  if (message === outcome.error.message) return outcome;
  return { ...outcome, error: new PlatformError(outcome.error.code, message, outcome.error.recovery, { cause: outcome.error }) };
}

function crashError(error: unknown): SerializedError {
  const serialized = serializeError(error);
  return { name: serialized.name, message: `the workflow's sandbox failed: ${serialized.message}` };
}

function mapError(error: SerializedError, loaded: LoadedArtifact): SerializedError {
  return error.stack === undefined ? error : { ...error, stack: remapStack(error.stack, loaded.artifact) };
}
