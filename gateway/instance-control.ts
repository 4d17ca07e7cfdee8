/**
 * Creating instances and changing their lifecycle. Each change is a compare-and-set on the instance
 * record; a running activation learns of pause / terminate through the control subject and applies it
 * at its next step boundary, anything else takes effect here at once.
 *
 * Creates (and restarts of final instances) first take a slot of `limits.maxInstances` and a token of
 * `limits.createsPerSecond` from the tenant's quota; a terminate that makes an instance final here
 * gives its slot back (see infra/quota/).
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  ENVELOPE_VERSION,
  FINAL_STATUSES,
  Subjects,
  type ControlRequest,
  type EnvelopeReason,
  type InstanceRecord,
  type WorkflowEvent,
} from "../contract/mod.ts";
import { AlreadyExistsError } from "../infra/errors.ts";
import { becomesFinal, type AdmissionRequest, type CreateLimits, type QuotaStore } from "../infra/quota/mod.ts";
import { purgeInbox, sendEvent } from "../infra/inbox.ts";
import type { InstanceStore, StoredInstance } from "../infra/instance-store.ts";
import type { JournalStore } from "../infra/journal-store.ts";
import { encodeJson } from "../infra/json-codec.ts";
import { enqueue } from "../infra/work-queue.ts";
import { conflict, HttpError, notFound, tooManyRequests } from "./errors.ts";
import { ErrorCode } from "../contract/mod.ts";

export type LifecycleAction = "pause" | "resume" | "terminate" | "restart";

export interface InstanceControlDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  instances: InstanceStore;
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
}

/** A restart decides again when the instance finished or restarted under it; this often at most. */
const MAX_RESTART_TRIES = 5;

const isLive = (record: InstanceRecord, now: number) => record.lease !== undefined && record.lease.expiresAt > now;

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
    await this.admit(tenant, { slots: instances.length, creates: instances.length });
    const settled = await Promise.allSettled(instances.map((instance) => this.createOne(tenant, workflow, version, instance)));
    await this.releaseSlots(tenant, settled.filter((result) => result.status === "rejected").length);
    return settled.map((result) => {
      if (result.status === "fulfilled") return result.value;
      if (result.reason instanceof HttpError) return result.reason;
      throw result.reason;
    });
  }

  /** Writes the record, then enqueues the start; undoes the record if the enqueue fails. */
  private async createOne(tenant: string, workflow: string, version: string, { id, params }: NewInstance): Promise<InstanceRecord> {
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
    };
    try {
      await this.deps.instances.create(record);
    } catch (error) {
      if (error instanceof AlreadyExistsError) throw conflict(`instance '${id}' already exists; choose another id or omit it`);
      throw error;
    }
    try {
      await this.enqueue(record, "start", `${tenant}.${id}.g0.start`);
    } catch (error) {
      await this.deps.instances.remove(tenant, id).catch(() => undefined);
      throw new HttpError(503, ErrorCode.unavailable, `could not queue the instance (${(error as Error).message}); nothing was created, try again`);
    }
    return record;
  }

  async apply(tenant: string, id: string, action: LifecycleAction): Promise<InstanceRecord> {
    switch (action) {
      case "pause":
        return this.requestStop(tenant, id, "pause");
      case "terminate":
        return this.requestStop(tenant, id, "terminate");
      case "resume":
        return this.resume(tenant, id);
      case "restart":
        return this.restart(tenant, id);
    }
  }

  async deliverEvent(tenant: string, id: string, type: string, payload: unknown): Promise<void> {
    const stored = await this.deps.instances.get(tenant, id);
    if (!stored) throw notFound(`instance '${id}'`);
    if (FINAL_STATUSES.has(stored.record.status)) {
      throw conflict(`instance '${id}' is ${stored.record.status}; it accepts no more events`);
    }
    const event: WorkflowEvent = { type, payload, timestamp: Date.now() };
    await sendEvent(this.deps.js, tenant, id, event);
    await this.enqueue(stored.record, "event");
  }

  private async requestStop(tenant: string, id: string, control: ControlRequest): Promise<InstanceRecord> {
    const target = control === "pause" ? "paused" : "terminated";
    let finished = false;
    const stored = await this.deps.instances.modify(tenant, id, (record) => {
      finished = false;
      if (record.status === target) return undefined;
      if (FINAL_STATUSES.has(record.status)) throw conflict(`instance '${id}' is ${record.status}; it cannot be ${target}`);
      const now = Date.now();
      if (isLive(record, now)) {
        if (record.control === "terminate" || record.control === control) return undefined;
        return { ...record, control, updatedAt: now };
      }
      const next: InstanceRecord = { ...record, status: target, control: undefined, wake: undefined, updatedAt: now };
      finished = becomesFinal(record, next);
      return next;
    });
    if (!stored) throw notFound(`instance '${id}'`);
    // Only the write that made the instance final gives its slot back, so no slot goes back twice.
    if (finished) await this.releaseSlots(tenant, 1);
    // A running activation applies the request at its next step boundary; tell it now.
    if (stored.record.control === control) this.notify(tenant, id, control);
    if (stored.record.status === "terminated") await purgeInbox(this.deps.jsm, tenant, id);
    return stored.record;
  }

  private async resume(tenant: string, id: string): Promise<InstanceRecord> {
    let enqueueResume = false;
    const stored = await this.deps.instances.modify(tenant, id, (record) => {
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

  private async restart(tenant: string, id: string): Promise<InstanceRecord> {
    for (let attempt = 0; attempt < MAX_RESTART_TRIES; attempt++) {
      const current = await this.deps.instances.get(tenant, id);
      if (!current) throw notFound(`instance '${id}'`);
      // A final instance runs again: it needs a slot, taken before the record changes.
      const needsSlot = FINAL_STATUSES.has(current.record.status);
      if (needsSlot) await this.admit(tenant, { slots: 1, creates: 0 });
      let finalChanged = false;
      let stored: StoredInstance | undefined;
      try {
        stored = await this.deps.instances.modify(tenant, id, (record) => {
          finalChanged = FINAL_STATUSES.has(record.status) !== needsSlot;
          return finalChanged ? undefined : restarted(record);
        });
      } catch (error) {
        if (needsSlot) await this.releaseSlots(tenant, 1);
        throw error;
      }
      if (!stored) {
        if (needsSlot) await this.releaseSlots(tenant, 1);
        throw notFound(`instance '${id}'`);
      }
      // It finished or was restarted by someone else meanwhile: decide again with what it is now.
      if (finalChanged) {
        if (needsSlot) await this.releaseSlots(tenant, 1);
        continue;
      }
      return this.startGeneration(tenant, id, stored.record);
    }
    throw conflict(`instance '${id}' kept finishing and restarting while this restart was deciding; try again`);
  }

  private async startGeneration(tenant: string, id: string, record: InstanceRecord): Promise<InstanceRecord> {
    const { generation } = record;
    await purgeInbox(this.deps.jsm, tenant, id);
    await this.enqueue(record, "restart", `${tenant}.${id}.g${generation}.restart`);
    // An activation still running the old generation notices on its next lease renewal; whatever it
    // writes lands under the old generation's keys, which nothing reads any more.
    await this.deps.journal.purgeInstance(tenant, id, generation);
    return record;
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
      .catch((error: unknown) => console.warn(`[gateway] could not give ${count} instance slots back to tenant '${tenant}'; a reconciliation will:`, error));
  }

  private notify(tenant: string, instance: string, control: ControlRequest): void {
    this.deps.nc.publish(Subjects.control(tenant, instance), encodeJson({ tenant, instance, control }));
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

/** The record of the next generation: queued again, with the same params and version. */
function restarted(record: InstanceRecord): InstanceRecord {
  const next: InstanceRecord = { ...record, status: "queued", generation: record.generation + 1, activations: 0, updatedAt: Date.now() };
  delete next.output;
  delete next.error;
  delete next.control;
  delete next.wake;
  delete next.suspendedOn;
  return next;
}
