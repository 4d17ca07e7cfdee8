/**
 * The decisions an executor takes around one activation: what an arriving work message means
 * (claim), whether a lease still allows a step body (lease), and what an activation's end writes and
 * does with its message (settle). Pure functions, so every race is a row here.
 */
import { describe, expect, it } from "vitest";
import { instanceRecord } from "../helpers/instance-record.ts";
import { CREATE_DEADLINE_MS, ErrorCode, ORPHAN_START_GRACE_MS, PlatformError, restartedRecord, type InstanceRecord } from "../../contract/mod.ts";
import { BUSY_RETRY_MS, decideClaim, isReturning, type ClaimMessage } from "../../executor/decisions/claim.ts";
import { discardReleasesSlot, MAX_RECORD_REREADS, MIN_RECORD_WAIT_MS } from "../../executor/decisions/start-without-record.ts";
import { isHolder, leavesRoomForStep, renewLease, stepPermitUntil, type LeaseHolder } from "../../executor/decisions/lease.ts";
import { workflowCpuLimitError } from "../../executor/decisions/cpu-budget.ts";
import { decideSettle, MAX_CPU_LIMIT_RETRIES, MAX_INTERNAL_FAILURES, platformRetryDelayMs, type ActivationOutcome } from "../../executor/decisions/settle.ts";
import { memoryLimitError } from "../../executor/memory-limit.ts";

const NOW = 1_000_000;
const LEASE_MS = 3_000;
const RETENTION = { successMs: 7 * 86_400_000, errorMs: 86_400_000 };
const ME = { owner: "executor-me", leaseMs: LEASE_MS, retention: RETENTION };

/** The KV revision the records below are read at. */
const REVISION = 40;

/** Decides on `current` as read at `REVISION`. */
const decide = (current: InstanceRecord | undefined, message: ClaimMessage, now: number, policy: typeof ME, revision = REVISION) =>
  decideClaim(current && { record: current, revision }, message, now, policy);

function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return instanceRecord({ createdAt: NOW - 10_000, ...overrides });
}

/** A record as the claim by `holder` left it, at `at`. */
function running(holder: LeaseHolder, at = NOW, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return record({
    status: "running",
    generation: holder.generation,
    activations: holder.activation,
    lease: { owner: holder.owner, expiresAt: at + LEASE_MS },
    ...overrides,
  });
}

/** Settles with the tenant's retention defaults. */
const settle = (current: InstanceRecord, by: LeaseHolder, outcome: ActivationOutcome, seq: number, now: number) =>
  decideSettle(current, by, outcome, seq, now, RETENTION);

const holder: LeaseHolder = { owner: ME.owner, generation: 0, activation: 1 };
const sleep: ActivationOutcome = { kind: "suspended", suspension: { kind: "sleep", step: "nap", until: NOW + 60_000 } };

describe("claim", () => {
  it("claims a queued instance: running, leased to this executor, one more activation", () => {
    const decision = decide(record(), { reason: "start", seq: 7 }, NOW, ME);
    expect(decision).toEqual({
      do: "claim",
      next: expect.objectContaining({ status: "running", activations: 1, updatedAt: NOW, lease: { owner: ME.owner, expiresAt: NOW + LEASE_MS } }),
    });
  });

  it("drops a message for a deleted or paused instance, or a finished one whose expiry another message carries", () => {
    expect(decide(undefined, { reason: "start", seq: 1 }, NOW, ME).do).toBe("drop");
    expect(decide(record({ status: "paused" }), { reason: "event", seq: 1 }, NOW, ME).do).toBe("drop");
    for (const status of ["complete", "errored", "terminated"] as const) {
      expect(decide(record({ status, wake: { at: NOW + 5_000, carrierSeq: 9 } }), { reason: "event", seq: 1 }, NOW, ME).do).toBe("drop");
    }
  });

  it("keeps a finished instance until its retention runs out, then expires it", () => {
    const complete = record({ status: "complete", updatedAt: NOW - 1_000, wake: { at: NOW + 5_000, carrierSeq: 9 } });
    expect(decide(complete, { reason: "wake", seq: 9 }, NOW, ME)).toEqual({ do: "later", delayMs: 5_000, why: expect.any(String) });
    expect(decide(complete, { reason: "wake", seq: 9 }, NOW + 5_000, ME)).toEqual({ do: "expire" });
    // Any message may find it due: whichever comes first removes it.
    expect(decide(complete, { reason: "event", seq: 3 }, NOW + 6_000, ME)).toEqual({ do: "expire" });
  });

  it("makes a message the expiry timer of an instance made final without one (terminated while idle)", () => {
    const terminated = record({ status: "terminated", updatedAt: NOW - 1_000 });
    expect(decide(terminated, { reason: "wake", seq: 4 }, NOW, ME)).toEqual({
      do: "park",
      next: { ...terminated, wake: { at: NOW - 1_000 + RETENTION.errorMs, carrierSeq: 4 } },
      delayMs: RETENTION.errorMs - 1_000,
    });
    // The instance's own retention wins over the tenant's.
    const own = record({ status: "complete", updatedAt: NOW - 1_000, retention: { successMs: 500 } });
    expect(decide(own, { reason: "wake", seq: 4 }, NOW, ME)).toEqual({ do: "expire" });
  });

  it("waits while any lease is live, its own executor's included (a redelivery while the first copy runs)", () => {
    for (const owner of ["executor-other", ME.owner]) {
      const decision = decide(record({ status: "running", lease: { owner, expiresAt: NOW + 1 } }), { reason: "start", seq: 1 }, NOW, ME);
      expect(decision).toEqual({ do: "later", delayMs: BUSY_RETRY_MS, why: expect.any(String) });
    }
  });

  it("takes over an instance whose lease has expired", () => {
    const decision = decide(
      record({ status: "running", activations: 3, lease: { owner: "executor-dead", expiresAt: NOW } }),
      { reason: "start", seq: 1 },
      NOW,
      ME,
    );
    expect(decision.do === "claim" && decision.next).toMatchObject({ activations: 4, lease: { owner: ME.owner } });
  });

  it("delays the timer's carrier when it arrives early, and never fires it before it is due", () => {
    const sleeping = record({ status: "sleeping", wake: { at: NOW + 5_000, carrierSeq: 9 } });
    expect(decide(sleeping, { reason: "start", seq: 9 }, NOW, ME)).toEqual({ do: "later", delayMs: 5_000, why: expect.any(String) });
    expect(decide(sleeping, { reason: "start", seq: 9 }, NOW + 5_000, ME).do).toBe("claim");
  });

  it("drops a stale message for a sleeping instance, but lets an event or a resume wake it early", () => {
    const sleeping = record({ status: "sleeping", wake: { at: NOW + 5_000, carrierSeq: 9 } });
    for (const reason of ["start", "wake", "retry", "restart"] as const) expect(decide(sleeping, { reason, seq: 10 }, NOW, ME).do).toBe("drop");
    for (const reason of ["event", "resume"] as const) expect(decide(sleeping, { reason, seq: 10 }, NOW, ME).do).toBe("claim");
  });

  it("expects a journal and a remembered record for a start delivered again, and for any message but a start or a restart", () => {
    expect(isReturning("start", false)).toBe(false);
    expect(isReturning("start", true)).toBe(true);
    for (const reason of ["wake", "event", "retry", "resume"] as const) expect(isReturning(reason, false)).toBe(true);
    for (const redelivered of [false, true]) expect(isReturning("restart", redelivered)).toBe(false);
  });

  it("keeps counting nothing for records written before activations were counted", () => {
    const decision = decide(record({ activations: undefined }), { reason: "start", seq: 1 }, NOW, ME);
    expect(decision.do).toBe("claim");
    expect(decision.do === "claim" && decision.next.activations).toBeUndefined();
  });
});

describe("claim of a resume or restart queued before its record change (contract/lifecycle-order.ts)", () => {
  const paused = () => record({ status: "paused", generation: 2, updatedAt: NOW - 5_000 });
  const resume = { reason: "resume" as const, seq: 8, change: { fromRevision: REVISION } };
  const restart = (keptSteps = 0) => ({ reason: "restart" as const, seq: 8, change: { fromRevision: REVISION, generation: 3, keptSteps, eventsFrom: 77 } });

  it("resumes a paused instance still at the revision the resume was decided from, then decides again", () => {
    expect(decide(paused(), resume, NOW, ME)).toEqual({ do: "apply", next: { ...paused(), status: "queued", updatedAt: NOW }, why: expect.any(String) });
  });

  it("drops a resume whose instance was paused again since, and runs one whose resume is already written", () => {
    expect(decide(paused(), resume, NOW, ME, REVISION + 3).do).toBe("drop");
    expect(decide(record({ status: "queued", generation: 2 }), resume, NOW, ME, REVISION + 1).do).toBe("claim");
  });

  it("restarts an instance still at the revision the restart was decided from, final or not, keeping the steps it names", () => {
    const failed = record({ status: "errored", generation: 2, error: { name: "Error", message: "boom" }, wake: { at: NOW + 9_000, carrierSeq: 3 } });
    expect(decide(failed, restart(), NOW, ME)).toEqual({ do: "apply", next: restartedRecord(failed, 0, NOW), why: expect.any(String) });
    const next = decide(paused(), restart(4), NOW, ME);
    expect(next.do === "apply" && next.next).toMatchObject({ status: "queued", generation: 3, activations: 0, keptSteps: 4 });
  });

  it("drops a restart whose instance changed before it was written: it never applies late", () => {
    for (const status of ["paused", "complete", "running"] as const) {
      expect(decide(record({ status, generation: 2 }), restart(), NOW, ME, REVISION + 1).do).toBe("drop");
    }
  });

  it("treats a restart already written (by its gateway or another executor) as any message of its generation", () => {
    expect(decide(record({ status: "queued", generation: 3 }), restart(), NOW, ME, REVISION + 1).do).toBe("claim");
    const busy = record({ status: "running", generation: 3, lease: { owner: "executor-other", expiresAt: NOW + 1 } });
    expect(decide(busy, restart(), NOW, ME, REVISION + 2).do).toBe("later");
    expect(decide(record({ status: "queued", generation: 4 }), restart(), NOW, ME, REVISION + 9).do).toBe("claim");
  });
});

describe("claim of a start queued before its record (contract/create-order.ts)", () => {
  const CREATED = NOW - 1;
  const start = (rereads = 0) => ({ reason: "start" as const, seq: 5, createdAt: CREATED, rereads });
  const own = () => record({ createdAt: CREATED, status: "queued", activations: 0 });

  it("claims its own record as any start would", () => {
    expect(decide(own(), start(), NOW, ME)).toMatchObject({ do: "claim", next: { status: "running", activations: 1 } });
  });

  it("reads the record again at once while it is on its way, then after doubling waits, then naks", () => {
    const waits = Array.from({ length: MAX_RECORD_REREADS }, (_, rereads) => decide(undefined, start(rereads), NOW, ME));
    expect(waits.map((decision) => decision.do === "reread" && decision.delayMs)).toEqual([0, 1, 2, 4, 8, 16, 32, 64]);
    expect(decide(undefined, start(MAX_RECORD_REREADS), NOW, ME)).toEqual({ do: "later", delayMs: MIN_RECORD_WAIT_MS, why: expect.any(String) });
  });

  it("naks with waits that grow with the message's age, never past the grace period", () => {
    const later = (age: number) => decide(undefined, { ...start(MAX_RECORD_REREADS), createdAt: NOW - age }, NOW, ME);
    expect(later(4_000)).toMatchObject({ do: "later", delayMs: 4_000 });
    expect(later(ORPHAN_START_GRACE_MS - 100)).toMatchObject({ do: "later", delayMs: 100 });
    // The executor's clock behind the gateway's: a plain short wait.
    expect(later(-5_000)).toMatchObject({ do: "later", delayMs: MIN_RECORD_WAIT_MS });
  });

  it("discards it once no gateway can still write its record", () => {
    const old = { ...start(), createdAt: NOW - ORPHAN_START_GRACE_MS };
    expect(decide(undefined, old, NOW, ME)).toEqual({ do: "discard", why: expect.stringContaining("never appeared") });
  });

  it("waits for its own record beside another create's of the same id, which it never runs or expires", () => {
    for (const status of ["queued", "sleeping", "complete", "terminated"] as const) {
      const other = record({ createdAt: CREATED - 5_000, status, updatedAt: NOW - RETENTION.errorMs * 2 });
      expect(decide(other, start(), NOW, ME).do).toBe("reread");
      expect(decide(other, { ...start(), createdAt: NOW - ORPHAN_START_GRACE_MS }, NOW, ME).do).toBe("discard");
    }
  });

  it("gives the discarded start's slot back only if its create certainly never wrote the record (a deletion gave it back)", () => {
    const margin = ORPHAN_START_GRACE_MS - CREATE_DEADLINE_MS;
    expect(discardReleasesSlot({ kind: "never" }, CREATED)).toBe(true);
    // Deleted while the start waited in a backlog: whoever deleted it gave the slot back.
    expect(discardReleasesSlot({ kind: "removed", at: CREATED + 60_000 }, CREATED)).toBe(false);
    expect(discardReleasesSlot({ kind: "removed", at: CREATED - margin + 1 }, CREATED)).toBe(false);
    // A removal, or another create's record, from before this create began: this one never wrote.
    expect(discardReleasesSlot({ kind: "removed", at: CREATED - margin - 1 }, CREATED)).toBe(true);
    expect(discardReleasesSlot({ kind: "record", createdAt: CREATED - margin - 1 }, CREATED)).toBe(true);
    // Another create's record from after it: this one's may have been written and deleted before.
    expect(discardReleasesSlot({ kind: "record", createdAt: CREATED + 1_000 }, CREATED)).toBe(false);
  });

  it("leaves messages without a createdAt (older gateways' starts, every other reason) to the record", () => {
    expect(decide(undefined, { reason: "start", seq: 1 }, NOW, ME).do).toBe("drop");
    expect(decide(record({ createdAt: 1 }), { reason: "start", seq: 1 }, NOW, ME).do).toBe("claim");
  });
});

describe("lease", () => {
  it("knows its holder by executor, generation and activation", () => {
    expect(isHolder(running(holder), holder)).toBe(true);
    expect(isHolder(running(holder), { ...holder, activation: 2 })).toBe(false);
    expect(isHolder(running(holder), { ...holder, owner: "executor-other" })).toBe(false);
    expect(isHolder(running(holder, NOW, { generation: 1 }), holder)).toBe(false);
  });

  it("renews only its own lease, and says why it lost one", () => {
    expect(renewLease(running(holder), holder, NOW + 1_000, LEASE_MS)).toEqual({
      next: expect.objectContaining({ lease: { owner: ME.owner, expiresAt: NOW + 1_000 + LEASE_MS } }),
    });
    const takenOver = running({ ...holder, owner: "executor-other", activation: 2 });
    expect(renewLease(takenOver, holder, NOW, LEASE_MS)).toEqual({ lost: "another activation took over the instance" });
    expect(renewLease(running(holder, NOW, { generation: 1, activations: 0 }), holder, NOW, LEASE_MS)).toEqual({ lost: "the instance was restarted" });
  });

  it("lets a step body start only while half the lease remains", () => {
    expect(leavesRoomForStep(NOW + LEASE_MS, NOW, LEASE_MS)).toBe(true);
    expect(leavesRoomForStep(NOW + LEASE_MS / 2, NOW, LEASE_MS)).toBe(true);
    expect(leavesRoomForStep(NOW + LEASE_MS / 2 - 1, NOW, LEASE_MS)).toBe(false);
    // The stalled-executor case: the lease ran out while the event loop was blocked.
    expect(leavesRoomForStep(NOW, NOW + 1, LEASE_MS)).toBe(false);
  });

  it("gives a step permit no later than the last moment the lease leaves room for a body", () => {
    for (const expiresAt of [NOW, NOW + LEASE_MS / 2, NOW + LEASE_MS]) {
      const until = stepPermitUntil(expiresAt, LEASE_MS);
      // The sandbox starts under the permit only while now < until.
      for (const now of [until - 1_000, until - 1, until - 0.5]) expect(leavesRoomForStep(expiresAt, now, LEASE_MS)).toBe(true);
      expect(leavesRoomForStep(expiresAt, until + 1, LEASE_MS)).toBe(false);
    }
  });
});

describe("settle", () => {
  it("completes: output written, lease cleared, the message becomes the expiry timer, one complete event", () => {
    const settlement = settle(running(holder), holder, { kind: "complete", output: { ok: 1 } }, 7, NOW + 50);
    expect(settlement.message).toEqual({ do: "nak", delayMs: RETENTION.successMs });
    expect(settlement.next?.wake).toEqual({ at: NOW + 50 + RETENTION.successMs, carrierSeq: 7 });
    expect(settlement.event).toBe("complete");
    expect(settlement.next).toMatchObject({ status: "complete", output: { ok: 1 }, updatedAt: NOW + 50 });
    expect(settlement.next?.lease).toBeUndefined();
  });

  it("makes the activating message the timer of a sleep: nak with the remaining delay", () => {
    const settlement = settle(running(holder), holder, sleep, 7, NOW + 50);
    expect(settlement).toMatchObject({ message: { do: "nak", delayMs: 60_000 - 50 }, event: "sleeping" });
    expect(settlement.next).toMatchObject({ status: "sleeping", wake: { at: NOW + 60_000, carrierSeq: 7 }, suspendedOn: { kind: "sleep", step: "nap" } });
  });

  it("takes over the timer when an event re-suspends the instance on the same deadline", () => {
    const waiting = running(holder, NOW, { wake: { at: NOW + 60_000, carrierSeq: 3 } });
    const outcome: ActivationOutcome = { kind: "suspended", suspension: { kind: "event", step: "approval", until: NOW + 60_000, eventType: "ok" } };
    expect(settle(waiting, holder, outcome, 8, NOW)).toMatchObject({
      next: { status: "waiting", wake: { carrierSeq: 8 } },
      message: { do: "nak", delayMs: 60_000 },
    });
  });

  it("never acks after losing the lease: the new holder may be using the same message as its timer", () => {
    const takenOver = running({ ...holder, owner: "executor-other", activation: 2 });
    for (const outcome of [{ kind: "complete", output: 1 } as const, sleep]) {
      const settlement = settle(takenOver, holder, outcome, 7, NOW);
      expect(settlement).toEqual({ next: undefined, message: { do: "nak", delayMs: BUSY_RETRY_MS } });
    }
  });

  it("hands over a restarted instance at once when no activation of the new generation has claimed it", () => {
    const restarted = running(holder, NOW, { generation: 1, activations: 0, status: "queued" });
    const settlement = settle(restarted, holder, sleep, 7, NOW);
    expect(settlement.next).toMatchObject({ generation: 1, status: "queued" });
    expect(settlement.next?.lease).toBeUndefined();
    expect(settlement.message.do).toBe("nak");
  });

  it("leaves a final status set while the activation ran (terminate of a lapsed lease) as it is", () => {
    const settlement = settle(running(holder, NOW, { status: "terminated" }), holder, { kind: "complete", output: 1 }, 7, NOW);
    expect(settlement).toMatchObject({ next: { status: "terminated", wake: { carrierSeq: 7 } }, message: { do: "nak", delayMs: RETENTION.errorMs } });
    expect(settlement.event).toBeUndefined();
  });

  it("applies a pending control over any suspension", () => {
    expect(settle(running(holder, NOW, { control: "terminate" }), holder, sleep, 7, NOW)).toMatchObject({
      next: { status: "terminated" },
      message: { do: "nak", delayMs: RETENTION.errorMs },
      event: "terminated",
    });
    const paused = settle(running(holder), holder, { kind: "suspended", suspension: { kind: "control", control: "pause" } }, 7, NOW);
    expect(paused).toMatchObject({ next: { status: "paused" }, message: { do: "ack" }, event: "paused" });
    expect(paused.next?.control).toBeUndefined();
  });

  it("queues again after a commit conflict, looking at the message shortly", () => {
    const outcome: ActivationOutcome = { kind: "suspended", suspension: { kind: "superseded", reason: "journal key already written" } };
    expect(settle(running(holder), holder, outcome, 7, NOW)).toMatchObject({
      next: { status: "queued" },
      message: { do: "nak", delayMs: BUSY_RETRY_MS },
    });
  });

  it("retries NATS trouble with growing delays and says why in the record", () => {
    const error = new PlatformError(ErrorCode.unavailable, "NATS is unavailable (timeout)", { do: "retry", retryAfterMs: 1_000 });
    const first = settle(running(holder), holder, { kind: "platform-failure", error }, 7, NOW);
    expect(first).toMatchObject({
      next: { status: "queued", platformFailure: { code: "unavailable", failures: 1, retryAt: NOW + 1_000 } },
      message: { do: "nak", delayMs: 1_000 },
    });
    const third = settle(
      running(holder, NOW, { platformFailure: { code: "unavailable", message: "", failures: 2, retryAt: 0 } }),
      holder,
      { kind: "platform-failure", error },
      7,
      NOW,
    );
    expect(third.message).toEqual({ do: "nak", delayMs: 4_000 });
    expect(platformRetryDelayMs(20, 0)).toBe(30_000);
  });

  it("fails the instance at once for an artifact that is gone, with the error's code", () => {
    const error = new PlatformError(ErrorCode.artifactMissing, "artifact 'acme/wf/v1' is missing", { do: "fail" });
    const settlement = settle(running(holder), holder, { kind: "platform-failure", error }, 7, NOW);
    expect(settlement).toMatchObject({
      next: { status: "errored", error: { code: "artifact_missing", message: "artifact 'acme/wf/v1' is missing" } },
      message: { do: "nak", delayMs: RETENTION.errorMs },
      event: "errored",
    });
  });

  it("gives up on an unknown platform failure after a bounded number of tries", () => {
    const error = new PlatformError(ErrorCode.internal, "the executor failed: boom", { do: "retry", retryAfterMs: 1_000 });
    const failing = (failures: number) => running(holder, NOW, { platformFailure: { code: "internal", message: "boom", failures, retryAt: 0 } });
    expect(settle(failing(MAX_INTERNAL_FAILURES - 1), holder, { kind: "platform-failure", error }, 7, NOW).next?.status).toBe("queued");
    expect(settle(failing(MAX_INTERNAL_FAILURES), holder, { kind: "platform-failure", error }, 7, NOW).next?.status).toBe("errored");
  });

  it("clears the platform failure once an activation gets through", () => {
    const recovered = settle(running(holder, NOW, { platformFailure: { code: "unavailable", message: "", failures: 3, retryAt: 0 } }), holder, sleep, 7, NOW);
    expect(recovered.next?.platformFailure).toBeUndefined();
  });

  describe("an activation killed over limits.runCpuMs", () => {
    const overCpu: ActivationOutcome = { kind: "cpu-limit", error: workflowCpuLimitError(100) };
    const killedBefore = (failures: number, overrides: Partial<InstanceRecord> = {}) =>
      running(holder, NOW, { ...(failures > 0 ? { cpuLimit: { message: "", failures, retryAt: 0 } } : {}), ...overrides });

    it("is retried with growing backoff: queued, lease cleared, message nak'd with the delay", () => {
      const first = settle(killedBefore(0), holder, overCpu, 7, NOW);
      expect(first.message).toEqual({ do: "nak", delayMs: platformRetryDelayMs(1, 0) });
      expect(first.next).toMatchObject({ status: "queued", cpuLimit: { failures: 1, retryAt: NOW + platformRetryDelayMs(1, 0) } });
      expect(first.next?.lease).toBeUndefined();
      const second = settle(killedBefore(1), holder, overCpu, 7, NOW);
      expect(second.message).toEqual({ do: "nak", delayMs: platformRetryDelayMs(2, 0) });
    });

    it("errors the instance with WorkflowCpuLimitError once the retries are spent", () => {
      expect(settle(killedBefore(MAX_CPU_LIMIT_RETRIES - 1), holder, overCpu, 7, NOW).next?.status).toBe("queued");
      const final = settle(killedBefore(MAX_CPU_LIMIT_RETRIES), holder, overCpu, 7, NOW);
      expect(final).toMatchObject({ message: { do: "nak", delayMs: RETENTION.errorMs }, event: "errored" });
      expect(final.next?.error).toMatchObject({ name: "WorkflowCpuLimitError", code: ErrorCode.limitExceeded });
      expect(final.next?.error?.message).toContain("limits.runCpuMs");
    });

    it("gives way to a terminate asked meanwhile", () => {
      expect(settle(killedBefore(1, { control: "terminate" }), holder, overCpu, 7, NOW)).toMatchObject({
        next: { status: "terminated" },
        event: "terminated",
      });
    });

    it("is forgotten once an activation ends any other way", () => {
      expect(settle(killedBefore(2), holder, sleep, 7, NOW).next?.cpuLimit).toBeUndefined();
    });
  });

  describe("an activation that ran out of limits.memoryBytes outside step bodies", () => {
    const outOfMemory: ActivationOutcome = { kind: "memory-limit", error: memoryLimitError(1024) };
    const failedBefore = (failures: number) => running(holder, NOW, failures > 0 ? { memoryLimit: { message: "", failures, retryAt: 0 } } : {});

    it("is retried like one over its CPU budget, and the status says it is memory", () => {
      const first = settle(failedBefore(0), holder, outOfMemory, 7, NOW);
      expect(first.message).toEqual({ do: "nak", delayMs: platformRetryDelayMs(1, 0) });
      expect(first.next).toMatchObject({ status: "queued", memoryLimit: { failures: 1, message: expect.stringContaining("limits.memoryBytes") } });
      expect(first.next?.cpuLimit).toBeUndefined();
    });

    it("errors the instance with MemoryLimitError once the retries are spent", () => {
      const final = settle(failedBefore(MAX_CPU_LIMIT_RETRIES), holder, outOfMemory, 7, NOW);
      expect(final).toMatchObject({ message: { do: "nak", delayMs: RETENTION.errorMs }, event: "errored", next: { status: "errored" } });
      expect(final.next?.error).toMatchObject({ name: "MemoryLimitError", code: ErrorCode.limitExceeded });
      expect(final.next?.error?.message).toContain("64 MiB");
    });

    it("is forgotten once an activation ends any other way", () => {
      expect(settle(failedBefore(2), holder, sleep, 7, NOW).next?.memoryLimit).toBeUndefined();
    });
  });

  describe("an activation released by a shutting-down executor", () => {
    const released: ActivationOutcome = { kind: "released", reason: "shutting down" };

    it("clears only the lease and naks at once, so another executor resumes now", () => {
      const settlement = settle(running(holder, NOW, { wake: { at: NOW - 5, carrierSeq: 7 } }), holder, released, 7, NOW);
      expect(settlement.message).toEqual({ do: "nak", delayMs: 0 });
      expect(settlement.event).toBeUndefined();
      expect(settlement.next).toMatchObject({ status: "queued", wake: { at: NOW - 5, carrierSeq: 7 } });
      expect(settlement.next?.lease).toBeUndefined();
    });

    it("writes nothing once the lease is another activation's", () => {
      const other = { ...holder, owner: "executor-other" };
      expect(settle(running(other), holder, released, 7, NOW).next).toBeUndefined();
    });
  });
});
