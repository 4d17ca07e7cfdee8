/**
 * Removes everything one instance left in NATS: its record, every generation of its journal, its
 * buffered events and its log lines. For `DELETE …/instances/:id` and for the retention timer.
 * The record goes first (compare-and-set on the revision the caller decided on), so nothing starts
 * the instance again while the rest is purged; an entry in the instance index is skipped from then
 * on (instance-listing.ts). A restart leaves the record and drops only what the runs before it left.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { Streams, Subjects, type InstanceRef } from "../contract/mod.ts";
import { delay } from "./delay.ts";
import { purgeInbox } from "./inbox.ts";
import type { InstanceStore } from "./instance-store.ts";
import type { JournalStore } from "./journal-store.ts";

export interface InstanceRemovalDeps {
  instances: InstanceStore;
  journal: JournalStore;
  jsm: JetStreamManager;
}

/** Purges the record (only at `revision`: `RevisionConflictError` otherwise), then the rest. */
export async function removeInstance(deps: InstanceRemovalDeps, ref: InstanceRef, revision: number): Promise<void> {
  await deps.instances.remove(ref, revision);
  await purgeInstanceData(deps, ref);
}

/**
 * Pauses between the tries of a purge. Once the record is gone nothing points at the rest any more:
 * a request that times out on a loaded server is tried again rather than leaving it behind.
 */
const PURGE_RETRY_MS = [250, 1_000, 4_000];

/** The journal, inbox and log lines of an instance whose record is gone; tried again on failure. */
export async function purgeInstanceData(deps: Omit<InstanceRemovalDeps, "instances">, ref: InstanceRef): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await Promise.all([
        deps.journal.purgeInstance(ref),
        purgeInbox(deps.jsm, ref),
        deps.jsm.streams.purge(Streams.logs, { filter: Subjects.logs(ref.tenant, ref.workflow, ref.instance) }),
      ]);
      return;
    } catch (error) {
      const pause = PURGE_RETRY_MS[attempt];
      if (pause === undefined) throw error;
      await delay(pause);
    }
  }
}

/**
 * What the runs before `generation` left: their journals, and the events sent before the restart
 * was decided (below inbox sequence `eventsFrom`; one sent since is the new run's). Done by whoever
 * applied the restart (contract/lifecycle-order.ts), after the record names the new generation; the
 * new run reads neither meanwhile (journal keys carry the generation, events are stamped with it).
 */
export async function purgeEarlierGenerations(
  deps: Omit<InstanceRemovalDeps, "instances">,
  ref: InstanceRef,
  generation: number,
  eventsFrom: number | undefined,
): Promise<void> {
  await Promise.all([deps.journal.purgeInstance(ref, generation), purgeInbox(deps.jsm, ref, eventsFrom)]);
}
