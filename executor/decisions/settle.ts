/**
 * What an activation's end means for the instance record and its work message: the record to write,
 * whether to ack the message or nak it with a delay (the message then carries the instance's timer),
 * and the lifecycle event to publish. A pure function of the current record, the outcome, the
 * message and the time; the runner does the compare-and-set and settles the message.
 *
 * One rule keeps timers from getting lost: a message is acked only by the activation that holds the
 * lease, or when the record says it no longer matters. An activation that lost its lease may share
 * its message with the one that took over (the same message, redelivered after ack_wait), and an ack
 * would delete the timer that activation is about to set on it; it naks instead, and whoever gets the
 * message next decides again from the record.
 */
import { FINAL_STATUSES, type InstanceRecord, type PlatformError, type SerializedError } from "../../contract/mod.ts";
import type { Suspension } from "../suspension.ts";
import { BUSY_RETRY_MS } from "./claim.ts";
import { isHolder, type LeaseHolder } from "./lease.ts";
import { withExpiry, type RetentionPolicy } from "./retention.ts";

export type ActivationOutcome =
  | { kind: "complete"; output: unknown }
  | { kind: "errored"; error: SerializedError }
  | { kind: "suspended"; suspension: Suspension }
  /** The platform failed the activation; nothing the workflow did was decided. */
  | { kind: "platform-failure"; error: PlatformError }
  /** The sandbox was killed over `limits.runCpuMs`: retried with backoff a few times, then the instance errors. */
  | { kind: "cpu-limit"; error: SerializedError }
  /**
   * Code outside step bodies ran out of `limits.memoryBytes` and the sandbox was discarded: retried as
   * `cpu-limit` is, each time in a fresh sandbox (a warm one may hold what earlier activations of the
   * version left in memory), then the instance errors.
   */
  | { kind: "memory-limit"; error: SerializedError }
  /** The executor is shutting down and stopped the activation: another executor resumes it at once. */
  | { kind: "released"; reason: string };

export type LifecycleKind = "complete" | "errored" | "terminated" | "paused" | "sleeping" | "waiting";

export interface Settlement {
  /** The record to write with a compare-and-set, or `undefined` to leave it as it is. */
  next: InstanceRecord | undefined;
  message: { do: "ack" } | { do: "nak"; delayMs: number };
  /** Published once `next` is written. */
  event?: LifecycleKind;
}

/** Platform failures of an unknown kind are retried this often before the instance errors. */
export const MAX_INTERNAL_FAILURES = 5;
/**
 * Activations killed over `limits.runCpuMs` are retried this often (a slow or overloaded machine can
 * push honest code over) before the instance errors with `WorkflowCpuLimitError`; the same for
 * `limits.memoryBytes` and `MemoryLimitError`.
 */
export const MAX_CPU_LIMIT_RETRIES = 3;
const MAX_PLATFORM_RETRY_MS = 30_000;

/** Backoff after the `failures`-th platform failure in a row: 1 s, 2 s, 4 s … at most 30 s. */
export function platformRetryDelayMs(failures: number, atLeastMs: number): number {
  return Math.max(atLeastMs, Math.min(MAX_PLATFORM_RETRY_MS, 1_000 * 2 ** (failures - 1)));
}

/** The settlement of a record made final: its message becomes the expiry timer (retention.ts). */
type Finish = (final: InstanceRecord, event?: LifecycleKind) => Settlement;

export function decideSettle(
  current: InstanceRecord,
  holder: LeaseHolder,
  outcome: ActivationOutcome,
  messageSeq: number,
  now: number,
  retention: RetentionPolicy,
): Settlement {
  if (!isHolder(current, holder)) {
    // Restarted or taken over meanwhile: this activation's outcome no longer applies. A restart that
    // no activation has claimed yet still carries this activation's lease: hand the instance over now.
    const staleLease = current.generation !== holder.generation && current.activations === 0 && current.lease?.owner === holder.owner;
    return { next: staleLease ? { ...current, lease: undefined } : undefined, message: { do: "nak", delayMs: BUSY_RETRY_MS } };
  }
  const next: InstanceRecord = {
    ...current,
    updatedAt: now,
    lease: undefined,
    wake: undefined,
    suspendedOn: undefined,
    platformFailure: undefined,
    cpuLimit: undefined,
    memoryLimit: undefined,
  };
  const finish: Finish = (final, event) => {
    const expiring = withExpiry(final, retention, messageSeq, now);
    return { next: expiring.next, message: { do: "nak", delayMs: expiring.delayMs }, ...(event ? { event } : {}) };
  };
  // Terminated by the tenant while this activation ran (its lease had lapsed): the request stands.
  if (FINAL_STATUSES.has(current.status)) return finish(next);
  switch (outcome.kind) {
    case "released":
      // Nothing was decided: hand the instance (and its timer state) back untouched but for the lease.
      return {
        next: { ...current, updatedAt: now, lease: undefined, status: current.status === "running" ? "queued" : current.status },
        message: { do: "nak", delayMs: 0 },
      };
    case "cpu-limit":
    case "memory-limit":
      // A pause or terminate asked meanwhile wins: the tenant wanted it stopped anyway.
      if (current.control) return suspended(current, next, { kind: "control", control: current.control }, messageSeq, now, finish);
      return overLimit(outcome.kind === "cpu-limit" ? "cpuLimit" : "memoryLimit", current, next, outcome.error, now, finish);
    case "complete":
      return finish({ ...next, status: "complete", output: outcome.output, control: undefined }, "complete");
    case "errored":
      return finish({ ...next, status: "errored", error: outcome.error, control: undefined }, "errored");
    case "platform-failure":
      return platformFailure(current, next, outcome.error, now, finish);
    case "suspended":
      return suspended(current, next, outcome.suspension, messageSeq, now, finish);
  }
}

function platformFailure(current: InstanceRecord, next: InstanceRecord, error: PlatformError, now: number, finish: Finish): Settlement {
  const failures = (current.platformFailure?.failures ?? 0) + 1;
  const { recovery } = error;
  if (recovery.do === "fail" || (error.code === "internal" && failures > MAX_INTERNAL_FAILURES)) {
    const serialized: SerializedError = { name: error.name, message: error.message, code: error.code };
    return finish({ ...next, status: "errored", error: serialized, control: undefined }, "errored");
  }
  const delayMs = platformRetryDelayMs(failures, recovery.retryAfterMs);
  const status = current.status === "running" ? "queued" : current.status;
  return {
    next: { ...next, status, platformFailure: { code: error.code, message: error.message, failures, retryAt: now + delayMs } },
    message: { do: "nak", delayMs },
  };
}

/** Retries an activation stopped over a limit with backoff, recording why in `field`; errors the instance once they are spent. */
function overLimit(
  field: "cpuLimit" | "memoryLimit",
  current: InstanceRecord,
  next: InstanceRecord,
  error: SerializedError,
  now: number,
  finish: Finish,
): Settlement {
  const failures = (current[field]?.failures ?? 0) + 1;
  if (failures > MAX_CPU_LIMIT_RETRIES) {
    const final = { ...error, message: `${error.message} (stopped in ${failures} activations in a row)` };
    return finish({ ...next, status: "errored", error: final, control: undefined }, "errored");
  }
  const delayMs = platformRetryDelayMs(failures, 0);
  return { next: { ...next, status: "queued", [field]: { message: error.message, failures, retryAt: now + delayMs } }, message: { do: "nak", delayMs } };
}

function suspended(current: InstanceRecord, next: InstanceRecord, suspension: Suspension, messageSeq: number, now: number, finish: Finish): Settlement {
  const control = suspension.kind === "control" ? suspension.control : current.control;
  if (control === "terminate") return finish({ ...next, status: "terminated", control: undefined }, "terminated");
  if (control === "pause") return { next: { ...next, status: "paused", control: undefined }, message: { do: "ack" }, event: "paused" };
  if (suspension.kind === "superseded" || suspension.kind === "control") {
    // Nothing to wait for (another activation committed first, or the lease could not be renewed):
    // look at the message again shortly.
    return { next: { ...next, status: "queued" }, message: { do: "nak", delayMs: BUSY_RETRY_MS } };
  }
  const status = suspension.kind === "event" ? "waiting" : "sleeping";
  const suspendedOn = {
    kind: suspension.kind,
    step: suspension.step,
    until: suspension.until,
    ...(suspension.eventType ? { eventType: suspension.eventType } : {}),
  };
  // This message becomes the timer. A message that carried an earlier timer and turns up later finds
  // the instance either not due (then it is not the carrier and is dropped) or due (then it wakes the
  // instance, which is right, and this one finds it busy or done).
  return {
    next: { ...next, status, suspendedOn, wake: { at: suspension.until, carrierSeq: messageSeq } },
    message: { do: "nak", delayMs: Math.max(0, suspension.until - now) },
    event: status,
  };
}
