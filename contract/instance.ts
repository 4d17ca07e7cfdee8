import type { ErrorCode, SerializedError } from "./errors.ts";
import type { InstanceRef } from "./names.ts";

export const InstanceStatus = {
  queued: "queued",
  running: "running",
  paused: "paused",
  waiting: "waiting",
  sleeping: "sleeping",
  errored: "errored",
  terminated: "terminated",
  complete: "complete",
} as const;
export type InstanceStatus = (typeof InstanceStatus)[keyof typeof InstanceStatus];
export const INSTANCE_STATUSES = Object.values(InstanceStatus);

/** Statuses an instance never leaves except by `restart`. */
export const FINAL_STATUSES: ReadonlySet<InstanceStatus> = new Set(["errored", "terminated", "complete"]);

/** Whether some activation may be running the instance at `now` (its lease has not expired). */
export function isLeaseLive(record: InstanceRecord, now: number): boolean {
  return record.lease !== undefined && record.lease.expiresAt > now;
}

/** A lifecycle change requested by the tenant, applied by the executor at the next step boundary. */
export type ControlRequest = "pause" | "terminate";

/** What the gateway publishes on `kiln.control.<tenant>.<workflow>.<instance>` for running activations. */
export interface ControlMessage extends InstanceRef {
  control: ControlRequest;
}

/**
 * The instance record in `kiln_instances` (key `<tenant>.<workflow>.<instance>`). Every write is a compare-and-set
 * on the KV revision, so the gateway's lifecycle requests and the executor's progress never overwrite
 * each other.
 */
export interface InstanceRecord {
  readonly v: 1;
  readonly tenant: string;
  readonly workflow: string;
  readonly version: string;
  readonly id: string;
  status: InstanceStatus;
  params: unknown;
  output?: unknown;
  error?: SerializedError;
  createdAt: number;
  updatedAt: number;
  /** Bumped by `restart`; journal keys carry it so old activations cannot write into the new run. */
  generation: number;
  /**
   * Activations of this generation claimed so far (counted at the claim, before anything is written).
   * 0 means the journal is certainly empty, so the first activation need not read it. Absent in
   * records written before it existed: read the journal.
   */
  activations?: number;
  /** Set at create (`retention`): overrides the tenant's settings for this instance. */
  retention?: { successMs?: number; errorMs?: number };
  /** Steps a `restart` from a step kept in this generation's journal: the first activation reads them. */
  keptSteps?: number;
  /** A pause or terminate that a running activation has yet to apply. */
  control?: ControlRequest;
  /** While suspended on a timer: when to wake, and the work message that carries the timer. */
  wake?: { at: number; carrierSeq: number };
  /** Which executor runs the instance now, and until when its claim holds without renewal. */
  lease?: { owner: string; expiresAt: number };
  /**
   * The platform failed the latest activations (NATS unreachable, say) and will try again at
   * `retryAt`: why the instance is not moving, for the status view. Cleared by the next activation
   * that gets to run the workflow.
   */
  platformFailure?: { code: ErrorCode; message: string; failures: number; retryAt: number };
  /**
   * The latest activations were killed over `limits.runCpuMs` (`failures` in a row) and the next is
   * tried at `retryAt`; the instance errors once the retries are spent. Cleared by an activation that
   * ends any other way.
   */
  cpuLimit?: { message: string; failures: number; retryAt: number };
  /** As `cpuLimit`, for activations whose code outside step bodies ran out of `limits.memoryBytes`. */
  memoryLimit?: { message: string; failures: number; retryAt: number };
  /**
   * The instance was due to run while its tenant ran `limits.concurrency` activations: it waits for a
   * slot, for the status view. Written together with `updatedAt` (`since` equals it) and cleared by
   * the claim that runs it; see `isConcurrencyWaitCurrent`.
   */
  concurrencyWait?: { limit: number; since: number };
  /** Why the instance is suspended, for the tenant's status view. */
  suspendedOn?: { kind: "sleep" | "retry" | "event"; step: string; until?: number; eventType?: string };
}

/**
 * Whether the record's `concurrencyWait` still describes the instance. The note is written with
 * `updatedAt` set to its `since`, and every later write moves `updatedAt` on (a pause, a resume, a
 * restart from the gateway): comparing two values of one write, not two machines' clocks.
 */
export function isConcurrencyWaitCurrent(record: InstanceRecord): boolean {
  return record.concurrencyWait !== undefined && record.concurrencyWait.since === record.updatedAt;
}
