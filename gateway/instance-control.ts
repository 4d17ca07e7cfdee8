/**
 * Creating instances and changing their lifecycle. Each change is a compare-and-set on the instance
 * record; a running activation learns of pause / terminate through the control subject and applies it
 * at its next step boundary, anything else takes effect here at once.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  ENVELOPE_VERSION,
  FINAL_STATUSES,
  instanceRef,
  Keys,
  stepKey,
  stepOccurrence,
  Subjects,
  type ControlMessage,
  type ControlRequest,
  type EnvelopeReason,
  type InstanceRecord,
  type InstanceRef,
  type StepAddress,
  type WorkflowEvent,
} from "../contract/mod.ts";
import { AlreadyExistsError, RevisionConflictError } from "../infra/errors.ts";
import { removeInstance } from "../infra/instance-removal.ts";
import { purgeInbox, sendEvent } from "../infra/inbox.ts";
import type { InstanceStore } from "../infra/instance-store.ts";
import type { InstanceIndex } from "../infra/instance-index.ts";
import type { JournalStore } from "../infra/journal-store.ts";
import { encodeJson } from "../infra/json-codec.ts";
import { enqueue } from "../infra/work-queue.ts";
import { badRequest, conflict, HttpError, notFound } from "./errors.ts";
import { ErrorCode } from "../contract/mod.ts";

/**
 * The JetStream message id of a generation's first work message: a create or restart retried by the
 * client within the stream's duplicate window enqueues it once.
 */
const startMessageId = (ref: InstanceRef, generation: number, reason: "start" | "restart") => `${Keys.instance(ref)}.g${generation}.${reason}`;

/** A delete races the instance's own progress at most this often before it gives up. */
const MAX_REMOVE_TRIES = 10;

export type LifecycleAction = "pause" | "resume" | "terminate" | "restart";

export interface InstanceControlDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  instances: InstanceStore;
  index: InstanceIndex;
  journal: JournalStore;
}

const isLive = (record: InstanceRecord, now: number) => record.lease !== undefined && record.lease.expiresAt > now;

export class InstanceControl {
  constructor(private readonly deps: InstanceControlDeps) {}

  /** Writes the record, then enqueues the start; undoes the record if the enqueue fails. */
  async create(
    tenant: string,
    workflow: string,
    version: string,
    id: string,
    params: unknown,
    retention?: InstanceRecord["retention"],
  ): Promise<InstanceRecord> {
    const now = Date.now();
    const record: InstanceRecord = {
      v: 1,
      tenant,
      workflow,
      version,
      id,
      status: "queued",
      params,
      createdAt: now,
      updatedAt: now,
      generation: 0,
      activations: 0,
      ...(retention && Object.keys(retention).length > 0 ? { retention } : {}),
    };
    try {
      await this.deps.instances.create(record);
    } catch (error) {
      if (error instanceof AlreadyExistsError) throw conflict(`instance '${id}' of workflow '${workflow}' already exists; choose another id or omit it`);
      throw error;
    }
    const ref = instanceRef(record);
    try {
      // Both or neither: without the index entry the instance would run but never be listed.
      await Promise.all([this.deps.index.add(tenant, workflow, id, now), this.enqueue(record, "start", startMessageId(ref, 0, "start"))]);
    } catch (error) {
      await this.deps.instances.remove(ref).catch(() => undefined);
      throw new HttpError(503, ErrorCode.unavailable, `could not queue the instance (${(error as Error).message}); nothing was created, try again`);
    }
    return record;
  }

  /**
   * `restart` with `from`: keeps the journal before step `from` (its name and occurrence count), so
   * the run replays those steps and executes again from that one.
   */
  async apply(ref: InstanceRef, action: LifecycleAction, from?: StepAddress): Promise<InstanceRecord> {
    switch (action) {
      case "pause":
        return this.requestStop(ref, "pause");
      case "terminate":
        return this.requestStop(ref, "terminate");
      case "resume":
        return this.resume(ref);
      case "restart":
        return this.restart(ref, from);
    }
  }

  /**
   * Removes the instance and everything it left. A running one only with `force`: its sandbox is
   * killed at once (as by terminate), and its activation, finding the record gone, purges again.
   */
  async remove(ref: InstanceRef, force: boolean): Promise<void> {
    for (let attempt = 0; attempt < MAX_REMOVE_TRIES; attempt++) {
      const stored = await this.deps.instances.get(ref);
      if (!stored) throw notFound(`instance '${ref.instance}'`);
      if (isLive(stored.record, Date.now())) {
        if (!force) throw conflict(`instance '${ref.instance}' is running; terminate it first, or delete with ?force=1 to stop it now`);
        this.notify(ref, "terminate");
      }
      try {
        await removeInstance(this.deps, ref, stored.revision);
        return;
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
    throw conflict(`instance '${ref.instance}' kept changing while it was being deleted; try again`);
  }

  async deliverEvent(ref: InstanceRef, type: string, payload: unknown): Promise<void> {
    const id = ref.instance;
    const stored = await this.deps.instances.get(ref);
    if (!stored) throw notFound(`instance '${id}'`);
    if (FINAL_STATUSES.has(stored.record.status)) {
      throw conflict(`instance '${id}' is ${stored.record.status}; it accepts no more events`);
    }
    const event: WorkflowEvent = { type, payload, timestamp: Date.now() };
    await sendEvent(this.deps.js, ref, event);
    await this.enqueue(stored.record, "event");
  }

  private async requestStop(ref: InstanceRef, control: ControlRequest): Promise<InstanceRecord> {
    const id = ref.instance;
    const target = control === "pause" ? "paused" : "terminated";
    let unchanged = false;
    const stored = await this.deps.instances.modify(ref, (record) => {
      unchanged = record.status === target;
      if (unchanged) return undefined;
      if (FINAL_STATUSES.has(record.status)) throw conflict(`instance '${id}' is ${record.status}; it cannot be ${target}`);
      const now = Date.now();
      if (isLive(record, now)) {
        if (record.control === "terminate" || record.control === control) return undefined;
        return { ...record, control, updatedAt: now };
      }
      return { ...record, status: target, control: undefined, wake: undefined, updatedAt: now };
    });
    if (!stored) throw notFound(`instance '${id}'`);
    // A running activation applies the request at its next step boundary; tell it now.
    if (stored.record.control === control) this.notify(ref, control);
    if (stored.record.status === "terminated" && stored.record.control === undefined && !unchanged) {
      await purgeInbox(this.deps.jsm, ref);
      // Terminated here, with no activation running: a message to carry its expiry timer (retention).
      await this.enqueue(stored.record, "wake");
    }
    return stored.record;
  }

  private async resume(ref: InstanceRef): Promise<InstanceRecord> {
    const id = ref.instance;
    let enqueueResume = false;
    const stored = await this.deps.instances.modify(ref, (record) => {
      enqueueResume = false;
      if (FINAL_STATUSES.has(record.status)) throw conflict(`instance '${id}' is ${record.status}; only a paused instance can be resumed`);
      if (record.control === "pause") return { ...record, control: undefined, updatedAt: Date.now() };
      if (record.status !== "paused") return undefined;
      enqueueResume = true;
      return { ...record, status: "queued", updatedAt: Date.now() };
    });
    if (!stored) throw notFound(`instance '${id}'`);
    if (enqueueResume) await this.enqueue(stored.record, "resume");
    return stored.record;
  }

  private async restart(ref: InstanceRef, from?: StepAddress): Promise<InstanceRecord> {
    const kept = from === undefined ? undefined : await this.stepsBefore(ref, from);
    // The kept steps are in place before the record names the new generation: from that moment any
    // work message (an event, say) may start its first activation, which must find them whole.
    if (kept) await this.deps.journal.copySteps(ref, kept.generation + 1, kept.steps, kept.attempts);
    const stored = await this.deps.instances.modify(ref, (record) => {
      if (kept && record.generation !== kept.generation) throw conflict(`instance '${ref.instance}' was restarted meanwhile; look at its steps and try again`);
      const now = Date.now();
      const next: InstanceRecord = { ...record, status: "queued", generation: record.generation + 1, activations: 0, updatedAt: now };
      delete next.output;
      delete next.error;
      delete next.control;
      delete next.wake;
      delete next.suspendedOn;
      if (kept?.steps.length) next.keptSteps = kept.steps.length;
      else delete next.keptSteps;
      return next;
    });
    if (!stored) throw notFound(`instance '${ref.instance}'`);
    const { generation } = stored.record;
    await purgeInbox(this.deps.jsm, ref);
    await this.enqueue(stored.record, "restart", startMessageId(ref, generation, "restart"));
    // An activation still running the old generation notices on its next lease renewal; whatever it
    // writes lands under the old generation's keys, which nothing reads any more.
    await this.deps.journal.purgeInstance(ref, generation);
    return stored.record;
  }

  /** The committed steps before `from` in the current generation; 400 if `from` is not a committed step. */
  private async stepsBefore(ref: InstanceRef, from: StepAddress) {
    const current = await this.deps.instances.get(ref);
    if (!current) throw notFound(`instance '${ref.instance}'`);
    const { generation } = current.record;
    const journal = await this.deps.journal.load(ref, generation);
    const target = journal.steps.find((step) => step.key === stepKey(from.name, from.count));
    if (!target) {
      const known = journal.steps.map((step) => `"${step.name}" #${stepOccurrence(step.key)}`).join(", ") || "none";
      throw badRequest(`restart from step "${from.name}" #${from.count}: the instance has no such completed step (completed: ${known})`);
    }
    return { generation, steps: journal.steps.filter((step) => step.seq < target.seq), attempts: journal.attempts };
  }

  private notify(ref: InstanceRef, control: ControlRequest): void {
    const message: ControlMessage = { tenant: ref.tenant, workflow: ref.workflow, instance: ref.instance, control };
    this.deps.nc.publish(Subjects.control(ref), encodeJson(message));
  }

  private async enqueue(record: InstanceRecord, reason: EnvelopeReason, dedupeId?: string): Promise<void> {
    await enqueue(
      this.deps.js,
      {
        v: ENVELOPE_VERSION,
        tenant: record.tenant,
        workflow: record.workflow,
        version: record.version,
        instance: record.id,
        reason,
        attempt: 0,
        enqueuedAt: Date.now(),
      },
      dedupeId,
    );
  }
}
