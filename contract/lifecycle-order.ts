/**
 * The order of a `resume` and a `restart`, agreed between gateways and executors. Like a create
 * (create-order.ts), the gateway queues the work message before it changes the record, so a gateway
 * killed between the two never leaves an instance `queued` with nothing to run it. The message
 * carries the change itself: the revision of the record the gateway decided it from (and, for a
 * restart, the generation it starts and the steps it keeps). Whoever comes first applies it with a
 * compare-and-set on that revision — the gateway right after the publish, or an executor that
 * takes the message before the gateway's write, or long after a gateway that died — and the other
 * finds the record changed. A message whose revision the record has moved past without the change
 * (paused again, terminated, deleted, restarted by another request) is stale and dropped: that
 * revision can never come back, so the change it carries can never apply late.
 *
 * Both sides compute the changed record with the functions below, so an executor applying a change
 * writes exactly what the gateway would have.
 */
import type { InstanceRecord } from "./instance.ts";

/** A `paused` instance resumed: queued again, as it was otherwise. */
export function resumedRecord(record: InstanceRecord, now: number): InstanceRecord {
  return { ...record, status: "queued", updatedAt: now };
}

/**
 * The record of the next generation: queued, the outcome of the last run gone; `keptSteps` from a
 * restart from a step (copied into the new generation's journal before the message is queued).
 */
export function restartedRecord(record: InstanceRecord, keptSteps: number, now: number): InstanceRecord {
  const next: InstanceRecord = { ...record, status: "queued", generation: record.generation + 1, activations: 0, updatedAt: now };
  delete next.output;
  delete next.error;
  delete next.control;
  delete next.wake;
  delete next.suspendedOn;
  if (keptSteps > 0) next.keptSteps = keptSteps;
  else delete next.keptSteps;
  return next;
}
