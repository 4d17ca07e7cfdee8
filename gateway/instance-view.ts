/**
 * The tenant's view of an instance: what `GET …/instances/:id` answers. Platform fields (lease, wake
 * carrier, generation) never show.
 */
import {
  FINAL_STATUSES,
  isConcurrencyWaitCurrent,
  stepKey,
  stepName,
  stepOccurrence,
  type AttemptRecord,
  type InstanceRecord,
  type InstanceSummary,
  type InstanceView,
  type StatusChange,
  type StepRecord,
  type StepView,
} from "../contract/mod.ts";
import type { InstanceJournal } from "../infra/journal-store.ts";

// The wire shapes live in the contract, so the client reads exactly what this file writes.
export type { InstanceView, StepView };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The largest step output the status view shows inline. The view carries every step, so one large
 * output per step would make a status poll megabytes; `GET …/steps/:name/:count` has it whole.
 */
export const STATUS_OUTPUT_BYTES = 16 * 1024;

const textEncoder = new TextEncoder();

function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value) ?? "null";
  return json.length * 3 <= STATUS_OUTPUT_BYTES ? json.length : textEncoder.encode(json).byteLength;
}

const TYPE_OF: Record<StepRecord["kind"], StepView["type"]> = { do: "do", sleep: "sleep", event: "waitForEvent" };

/** One step as the tenant sees it; `whole` keeps a large output in (the steps route). */
export function stepView(record: StepRecord, journal: InstanceJournal, now: number, whole = false): StepView {
  const failed = journal.attempts.get(record.key) ?? [];
  const view: StepView = {
    name: record.name,
    count: stepOccurrence(record.key),
    type: TYPE_OF[record.kind],
    status: record.status === "failed" ? "failed" : "complete",
    attempts: record.kind === "do" ? record.attempts : 1,
    startedAt: iso(record.startedAt),
    completedAt: iso(record.completedAt),
  };
  if (record.kind === "do" && record.status === "ok") {
    const bytes = record.sensitive || whole ? 0 : jsonBytes(record.result);
    if (record.sensitive) view.redacted = "output";
    else if (bytes > STATUS_OUTPUT_BYTES) view.outputTruncated = { bytes, limit: STATUS_OUTPUT_BYTES };
    else view.output = record.result;
  }
  if (record.status === "failed") view.error = record.error;
  if (record.kind === "sleep") {
    view.until = iso(record.until);
    if (record.until > now) {
      view.status = "sleeping";
      delete view.completedAt;
    }
  }
  if (record.kind === "event" && record.status === "ok") view.event = record.event;
  if (failed.length > 0) view.failedAttempts = failed.map(attemptView);
  return view;
}

function attemptView({ attempt, error, startedAt, failedAt }: AttemptRecord) {
  return { attempt, error, startedAt: iso(startedAt), failedAt: iso(failedAt) };
}

/** Steps begun but not complete: failed attempts waiting for a retry, or an open wait. */
function pendingViews(record: InstanceRecord, journal: InstanceJournal): StepView[] {
  const done = new Set(journal.steps.map((step) => step.key));
  const views: StepView[] = [];
  for (const [key, attempts] of journal.attempts) {
    if (done.has(key)) continue;
    views.push({
      name: stepName(key),
      count: stepOccurrence(key),
      type: "do",
      status: record.status === "running" ? "running" : "retrying",
      attempts: attempts.length,
      failedAttempts: attempts.map(attemptView),
    });
  }
  for (const [key, deadline] of journal.deadlines) {
    if (done.has(key)) continue;
    views.push({
      name: stepName(key),
      count: stepOccurrence(key),
      type: "waitForEvent",
      status: "waiting",
      attempts: 1,
      until: iso(deadline),
    });
  }
  return views;
}

/** One step, output whole (unless sensitive): `GET …/instances/:id/steps/:name/:count`. */
export function findStepView(record: InstanceRecord, journal: InstanceJournal, key: string, now = Date.now()): StepView | undefined {
  const done = journal.steps.find((step) => step.key === key);
  if (done) return stepView(done, journal, now, true);
  return pendingViews(record, journal).find((view) => stepKey(view.name, view.count) === key);
}

export function instanceView(record: InstanceRecord, journal: InstanceJournal, now = Date.now()): InstanceView {
  const view: InstanceView = {
    id: record.id,
    workflow: record.workflow,
    version: record.version,
    status: record.status,
    params: record.params,
    steps: [...journal.steps.map((step) => stepView(step, journal, now)), ...pendingViews(record, journal)],
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
  };
  if (record.output !== undefined) view.output = record.output;
  if (record.error !== undefined) view.error = record.error;
  if (record.suspendedOn && (record.status === "sleeping" || record.status === "waiting")) {
    const { kind, step, until, eventType } = record.suspendedOn;
    view.suspended = { kind, step, ...(until === undefined ? {} : { until: iso(until) }), ...(eventType ? { eventType } : {}) };
  }
  if (record.platformFailure && !FINAL_STATUSES.has(record.status)) {
    view.platformFailure = { ...record.platformFailure, retryAt: iso(record.platformFailure.retryAt) };
  }
  if (record.cpuLimit && !FINAL_STATUSES.has(record.status)) view.cpuLimit = { ...record.cpuLimit, retryAt: iso(record.cpuLimit.retryAt) };
  if (record.memoryLimit && !FINAL_STATUSES.has(record.status)) view.memoryLimit = { ...record.memoryLimit, retryAt: iso(record.memoryLimit.retryAt) };
  if (record.concurrencyWait && isConcurrencyWaitCurrent(record)) {
    view.concurrencyWait = { limit: record.concurrencyWait.limit, since: iso(record.concurrencyWait.since) };
  }
  return view;
}

/** One change of `GET …/instances/:id/stream`: the status, and the outcome once there is one. */
export function statusChange(record: InstanceRecord): StatusChange {
  return {
    ...instanceSummary(record),
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
  };
}

/** The short form used in lists. */
export function instanceSummary(record: InstanceRecord): InstanceSummary {
  return {
    id: record.id,
    workflow: record.workflow,
    version: record.version,
    status: record.status,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
  };
}
