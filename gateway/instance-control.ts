/**
 * Creating instances and changing their lifecycle. Each change is a compare-and-set on the instance
 * record; a running activation learns of pause / terminate through the control subject and applies it
 * at its next step boundary, anything else takes effect here at once.
 *
 * Creates (and restarts of final instances) first take a slot of `limits.maxInstances` and a token of
 * `limits.createsPerSecond` from the tenant's quota; a terminate or delete that ends a live instance
 * here gives its slot back (see infra/quota/). A create queues its start before it writes the record
 * (contract/create-order.ts).
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  CREATE_DEADLINE_MS,
  ENVELOPE_VERSION,
  FINAL_STATUSES,
  isLeaseLive,
  Keys,
  restartedRecord,
  resumedRecord,
  stepKey,
  stepOccurrence,
  Subjects,
  type ControlMessage,
  type ControlRequest,
  type Envelope,
  type EnvelopeReason,
  type InstanceRecord,
  type InstanceRef,
  type StepAddress,
  type WorkflowEvent,
} from "../contract/mod.ts";
import { AlreadyExistsError, RevisionConflictError } from "../infra/errors.ts";
import { nextInboxSequence, purgeInbox, sendEvent } from "../infra/inbox.ts";
import type { InstanceIndex } from "../infra/instance-index.ts";
import { purgeEarlierGenerations, removeInstance } from "../infra/instance-removal.ts";
import type { InstanceStore } from "../infra/instance-store.ts";
import type { JournalStore } from "../infra/journal-store.ts";
import { encodeJson } from "../infra/json-codec.ts";
import { serviceLogger } from "../infra/logger.ts";
import { becomesFinal, type AdmissionRequest, type CreateLimits, type QuotaStore } from "../infra/quota/mod.ts";
import { enqueue, withdrawWork } from "../infra/work-queue.ts";
import { badRequest, conflict, HttpError, notFound, tooManyRequests } from "./errors.ts";
import { ErrorCode } from "../contract/mod.ts";

/**
 * The JetStream message id of a resume or restart: the change decided from one revision of the
 * record is queued once, however often its publish is retried within the stream's duplicate window.
 * (A create's start has none: see `enqueueStart`.)
 */
const changeMessageId = (ref: InstanceRef, revision: number, reason: "resume" | "restart") => `${Keys.instance(ref)}.r${revision}.${reason}`;

/** A create that could not write its record in time: nothing was created (contract/create-order.ts). */
function overDeadline(id: string): HttpError {
  const message = `creating instance '${id}' took over ${CREATE_DEADLINE_MS} ms, so it was given up; nothing was created, try again`;
  return new HttpError(503, ErrorCode.unavailable, message, { retryAfterMs: 1_000 });
}

/** A delete races the instance's own progress at most this often before it gives up. */
const MAX_REMOVE_TRIES = 10;

/** A resume or restart decides again when the instance changed under it; this often at most. */
const MAX_CHANGE_TRIES = 5;

export type LifecycleAction = "pause" | "resume" | "terminate" | "restart";

export interface InstanceControlDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  instances: InstanceStore;
  index: InstanceIndex;
  journal: JournalStore;
  quotas: QuotaStore;
  /** The tenant's create limits as its settings say now. */
  limits: (tenant: string) => Promise<CreateLimits>;
  /** Told of every create refused over a limit, for the metrics. */
  refused: (tenant: string, code: ErrorCode) => void;
}

export interface NewInstance {
  id: string;
  params: unknown;
  /** The instance's own retention, over the tenant's defaults. */
  retention?: InstanceRecord["retention"];
}

export class InstanceControl {
  constructor(private readonly deps: InstanceControlDeps) {}

  /** One instance; see `createBatch`. */
  async create(tenant: string, workflow: string, version: string, instance: NewInstance): Promise<InstanceRecord> {
    const [result] = await this.createBatch(tenant, workflow, version, [instance]);
    if (result instanceof HttpError) throw result;
    return result!;
  }

  /**
   * Admits the whole batch against the tenant's limits (a 429 for all of it, or nothing), then
   * creates each instance. An instance that cannot be created (a duplicate id) is answered with its
   * error and gives its slot back.
   */
  async createBatch(tenant: string, workflow: string, version: string, instances: readonly NewInstance[]): Promise<(InstanceRecord | HttpError)[]> {
    // The create deadline counts from before the slots are reserved (see createOne).
    const began = Date.now();
    await this.admit(tenant, { slots: instances.length, creates: instances.length });
    const settled = await Promise.allSettled(instances.map((instance) => this.createOne(tenant, workflow, version, instance, began)));
    return settled.map((result) => {
      if (result.status === "fulfilled") return result.value;
      if (result.reason instanceof HttpError) return result.reason;
      throw result.reason;
    });
  }

  /**
   * Queues the start and indexes the instance, then writes its record (the order is explained in
   * contract/create-order.ts): a gateway killed at any moment leaves no record without its start,
   * and no listed instance without its record. A create that fails takes its start back off the
   * stream; whoever removes a start gives its slot back, this gateway here or else the executor that
   * discards it, never both. The record is never sent later than `CREATE_DEADLINE_MS` after `began`,
   * so no executor discards the start of a record still on its way.
   */
  private async createOne(tenant: string, workflow: string, version: string, instance: NewInstance, began: number): Promise<InstanceRecord> {
    const { id, params, retention } = instance;
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
    if (now - began > CREATE_DEADLINE_MS) {
      await this.releaseSlots(tenant, 1);
      throw overDeadline(id);
    }
    const [queued, indexed] = await Promise.allSettled([this.enqueueStart(record), this.deps.index.add(tenant, workflow, id, now)]);
    if (queued.status === "rejected" || indexed.status === "rejected") {
      // A start whose publish failed may still have landed: it is left to the executor that discards
      // it, with its slot (if it never landed, the slot stays taken until the tenant is recounted).
      if (queued.status === "fulfilled") await this.withdrawStart(tenant, queued.value);
      const error: unknown = queued.status === "rejected" ? queued.reason : (indexed as PromiseRejectedResult).reason;
      throw new HttpError(503, ErrorCode.unavailable, `could not queue the instance (${(error as Error).message}); nothing was created, try again`);
    }
    if (Date.now() - began > CREATE_DEADLINE_MS) {
      await this.withdrawStart(tenant, queued.value);
      throw overDeadline(id);
    }
    try {
      await this.deps.instances.create(record);
    } catch (error) {
      if (error instanceof AlreadyExistsError) {
        await this.withdrawStart(tenant, queued.value);
        throw conflict(`instance '${id}' of workflow '${workflow}' already exists; choose another id or omit it`);
      }
      // The record may have been written all the same: its start stays, and runs it or is discarded without it.
      throw error;
    }
    return record;
  }

  /**
   * The start of a create: no JetStream message id. The create's dedupe is the record's KV create;
   * an id shared by the requests of one instance id would turn a client's retry, within the stream's
   * duplicate window, after an executor discarded the first request's start, into no start at all,
   * and would let a failed request take back (by the ack's sequence) a start that is another's.
   */
  private enqueueStart(record: InstanceRecord): Promise<number> {
    return enqueue(this.deps.js, { ...this.envelope(record, "start"), enqueuedAt: record.createdAt, createdAt: record.createdAt });
  }

  /** Takes back the start of a create that failed here; if this removed it, its slot comes back too. */
  private async withdrawStart(tenant: string, seq: number): Promise<void> {
    const removed = await withdrawWork(this.deps.jsm, seq).catch(() => false);
    if (removed) await this.releaseSlots(tenant, 1);
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
   * A live instance removed here gives its slot back.
   */
  async remove(ref: InstanceRef, force: boolean): Promise<void> {
    for (let attempt = 0; attempt < MAX_REMOVE_TRIES; attempt++) {
      const stored = await this.deps.instances.get(ref);
      if (!stored) throw notFound(`instance '${ref.instance}'`);
      if (isLeaseLive(stored.record, Date.now())) {
        if (!force) throw conflict(`instance '${ref.instance}' is running; terminate it first, or delete with ?force=1 to stop it now`);
        this.notify(ref, "terminate");
      }
      try {
        await removeInstance(this.deps, ref, stored.revision);
      } catch (error) {
        if (error instanceof RevisionConflictError) continue;
        throw error;
      }
      if (!FINAL_STATUSES.has(stored.record.status)) await this.releaseSlots(ref.tenant, 1);
      return;
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
    await sendEvent(this.deps.js, ref, event, stored.record.generation);
    await this.enqueue(stored.record, "event");
  }

  private async requestStop(ref: InstanceRef, control: ControlRequest): Promise<InstanceRecord> {
    const id = ref.instance;
    const target = control === "pause" ? "paused" : "terminated";
    let finished = false;
    const stored = await this.deps.instances.modify(ref, (record) => {
      finished = false;
      if (record.status === target) return undefined;
      if (FINAL_STATUSES.has(record.status)) throw conflict(`instance '${id}' is ${record.status}; it cannot be ${target}`);
      const now = Date.now();
      if (isLeaseLive(record, now)) {
        if (record.control === "terminate" || record.control === control) return undefined;
        return { ...record, control, updatedAt: now };
      }
      const next: InstanceRecord = { ...record, status: target, control: undefined, wake: undefined, updatedAt: now };
      finished = becomesFinal(record, next);
      return next;
    });
    if (!stored) throw notFound(`instance '${id}'`);
    // A running activation applies the request at its next step boundary; tell it now.
    if (stored.record.control === control) this.notify(ref, control);
    // Only the write that made the instance final gives its slot back, so no slot goes back twice.
    if (finished) {
      await this.releaseSlots(ref.tenant, 1);
      await purgeInbox(this.deps.jsm, ref);
      // Made final here, with no activation running: a message to carry its expiry timer (retention).
      await this.enqueue(stored.record, "wake");
    }
    return stored.record;
  }

  /**
   * Resumes a paused instance: queues its `resume` before it changes the record
   * (contract/lifecycle-order.ts), so a gateway killed in between leaves the change to the executor
   * that takes the message. A pause not yet applied by its running activation is simply withdrawn.
   */
  private async resume(ref: InstanceRef): Promise<InstanceRecord> {
    const id = ref.instance;
    for (let attempt = 0; attempt < MAX_CHANGE_TRIES; attempt++) {
      const current = await this.deps.instances.get(ref);
      if (!current) throw notFound(`instance '${id}'`);
      const { record, revision } = current;
      if (FINAL_STATUSES.has(record.status)) throw conflict(`instance '${id}' is ${record.status}; only a paused instance can be resumed`);
      let next: InstanceRecord | undefined;
      if (record.control === "pause") next = { ...record, control: undefined, updatedAt: Date.now() };
      else if (record.status === "paused") {
        await this.enqueue(record, "resume", changeMessageId(ref, revision, "resume"), { fromRevision: revision });
        next = resumedRecord(record, Date.now());
      } else return record;
      const written = await this.replaceUnlessChanged(next, revision);
      // Else an executor took the message first and resumed it, or the instance changed: decide again.
      if (written) return written;
    }
    throw conflict(`instance '${id}' kept changing while this resume was deciding; try again`);
  }

  /**
   * Starts the instance's next generation: queues its `restart` before it changes the record
   * (contract/lifecycle-order.ts). A final instance runs again, so it needs a quota slot, taken
   * before the message goes out.
   */
  private async restart(ref: InstanceRef, from?: StepAddress): Promise<InstanceRecord> {
    const kept = from === undefined ? undefined : await this.stepsBefore(ref, from);
    const keptSteps = kept?.steps.length ?? 0;
    // The kept steps are in place before the message names the new generation: from that moment an
    // executor may apply the restart and start its first activation, which must find them whole.
    if (kept) await this.deps.journal.copySteps(ref, kept.generation + 1, kept.steps, kept.attempts);
    for (let attempt = 0; attempt < MAX_CHANGE_TRIES; attempt++) {
      const current = await this.deps.instances.get(ref);
      if (!current) throw notFound(`instance '${ref.instance}'`);
      const { record, revision } = current;
      if (kept && record.generation !== kept.generation) throw conflict(`instance '${ref.instance}' was restarted meanwhile; look at its steps and try again`);
      const needsSlot = FINAL_STATUSES.has(record.status);
      if (needsSlot) await this.admit(ref.tenant, { slots: 1, creates: 0 });
      const next = restartedRecord(record, keptSteps, Date.now());
      const eventsFrom = await nextInboxSequence(this.deps.jsm);
      // A publish that failed may still have landed and be applied: its slot stays taken (high,
      // never low) until the tenant's next recount.
      await this.enqueue(record, "restart", changeMessageId(ref, revision, "restart"), {
        fromRevision: revision,
        generation: next.generation,
        keptSteps,
        eventsFrom,
      });
      const written = await this.replaceUnlessChanged(next, revision);
      if (written) {
        await purgeEarlierGenerations(this.deps, ref, next.generation, eventsFrom);
        return written;
      }
      const now = await this.deps.instances.get(ref);
      // An executor took the message first and applied it (and purged after it).
      if (now?.record.generation === next.generation) return now.record;
      // The record moved past the revision the message names, so it can never apply: its slot comes back.
      if (needsSlot) await this.releaseSlots(ref.tenant, 1);
      if (!now) throw notFound(`instance '${ref.instance}'`);
    }
    throw conflict(`instance '${ref.instance}' kept finishing and restarting while this restart was deciding; try again`);
  }

  /** Writes `next` over the record at `revision`; `undefined` if the record has changed since. */
  private async replaceUnlessChanged(next: InstanceRecord, revision: number): Promise<InstanceRecord | undefined> {
    try {
      return (await this.deps.instances.replace(next, revision)).record;
    } catch (error) {
      if (error instanceof RevisionConflictError) return undefined;
      throw error;
    }
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

  /** Takes what `request` needs from the tenant's quota, or answers 429 naming the limit. */
  private async admit(tenant: string, request: AdmissionRequest): Promise<void> {
    const admission = await this.deps.quotas.reserve(tenant, request, await this.deps.limits(tenant));
    if (admission.admitted) return;
    this.deps.refused(tenant, admission.code);
    throw tooManyRequests(admission.code, admission.message, admission.retryAfterMs);
  }

  /**
   * A slot that cannot be given back now stays taken until the tenant's next reconciliation: the
   * tenant is refused a little early, never let past its limit.
   */
  private async releaseSlots(tenant: string, count: number): Promise<void> {
    await this.deps.quotas
      .release(tenant, count)
      .catch((err: unknown) =>
        serviceLogger("gateway").warn({ tenant, count, err }, "could not give instance slots back; the tenant's next reconciliation will"),
      );
  }

  private notify(ref: InstanceRef, control: ControlRequest): void {
    const message: ControlMessage = { tenant: ref.tenant, workflow: ref.workflow, instance: ref.instance, control };
    this.deps.nc.publish(Subjects.control(ref), encodeJson(message));
  }

  private async enqueue(record: InstanceRecord, reason: EnvelopeReason, dedupeId?: string, change?: Envelope["change"]): Promise<void> {
    await enqueue(this.deps.js, { ...this.envelope(record, reason), ...(change ? { change } : {}) }, dedupeId);
  }

  private envelope(record: InstanceRecord, reason: EnvelopeReason): Envelope {
    return {
      v: ENVELOPE_VERSION,
      tenant: record.tenant,
      workflow: record.workflow,
      version: record.version,
      instance: record.id,
      reason,
      attempt: 0,
      enqueuedAt: Date.now(),
    };
  }
}
