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
  Subjects,
  type ControlRequest,
  type EnvelopeReason,
  type InstanceRecord,
  type WorkflowEvent,
} from "../contract/mod.ts";
import { AlreadyExistsError } from "../infra/errors.ts";
import { purgeInbox, sendEvent } from "../infra/inbox.ts";
import type { InstanceStore } from "../infra/instance-store.ts";
import type { JournalStore } from "../infra/journal-store.ts";
import { encodeJson } from "../infra/json-codec.ts";
import { enqueue } from "../infra/work-queue.ts";
import { conflict, HttpError, notFound } from "./errors.ts";
import { ErrorCode } from "../contract/mod.ts";

export type LifecycleAction = "pause" | "resume" | "terminate" | "restart";

export interface InstanceControlDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  instances: InstanceStore;
  journal: JournalStore;
}

const isLive = (record: InstanceRecord, now: number) => record.lease !== undefined && record.lease.expiresAt > now;

export class InstanceControl {
  constructor(private readonly deps: InstanceControlDeps) {}

  /** Writes the record, then enqueues the start; undoes the record if the enqueue fails. */
  async create(tenant: string, workflow: string, version: string, id: string, params: unknown): Promise<InstanceRecord> {
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
    const stored = await this.deps.instances.modify(tenant, id, (record) => {
      if (record.status === target) return undefined;
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
    const stored = await this.deps.instances.modify(tenant, id, (record) => {
      const now = Date.now();
      const next: InstanceRecord = { ...record, status: "queued", generation: record.generation + 1, activations: 0, updatedAt: now };
      delete next.output;
      delete next.error;
      delete next.control;
      delete next.wake;
      delete next.suspendedOn;
      return next;
    });
    if (!stored) throw notFound(`instance '${id}'`);
    const { generation } = stored.record;
    await purgeInbox(this.deps.jsm, tenant, id);
    await this.enqueue(stored.record, "restart", `${tenant}.${id}.g${generation}.restart`);
    // An activation still running the old generation notices on its next lease renewal; whatever it
    // writes lands under the old generation's keys, which nothing reads any more.
    await this.deps.journal.purgeInstance(tenant, id, generation);
    return stored.record;
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
