/**
 * `GET …/instances/:id/stream`: the instance's status each time it changes, until it ends — what a
 * client's `result()` waits on. The lifecycle events (`kiln.events.<tenant>.<workflow>.<instance>.>`)
 * say when to look; the record says what is true. The subscription is made before the first read, so
 * a change between the read and the subscription is not missed; a periodic re-read covers an event
 * lost while the connection was away (core NATS keeps no events).
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { FINAL_STATUSES, Subjects, type InstanceRecord, type InstanceRef } from "../contract/mod.ts";
import type { InstanceStore } from "../infra/instance-store.ts";

/** Re-read this often even without an event. */
const REREAD_MS = 2_000;

/** Yields the record whenever its status or update time changed; returns after a final status, or when `signal` aborts. */
export async function* followStatus(nc: NatsConnection, instances: InstanceStore, ref: InstanceRef, signal: AbortSignal): AsyncGenerator<InstanceRecord> {
  let changed = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    changed = true;
    wake?.();
  };
  const subscription = nc.subscribe(Subjects.events(ref.tenant, ref.workflow, ref.instance, "*"), { callback: poke });
  signal.addEventListener("abort", poke);
  try {
    let last: string | undefined;
    while (!signal.aborted) {
      changed = false;
      const stored = await instances.get(ref);
      if (!stored) return;
      const seen = `${stored.record.status}@${stored.record.updatedAt}`;
      if (seen !== last) {
        last = seen;
        yield stored.record;
      }
      if (FINAL_STATUSES.has(stored.record.status)) return;
      // An event during the read already asks for another look.
      if (!changed) await nextLook((resume) => (wake = resume));
      wake = undefined;
    }
  } finally {
    subscription.unsubscribe();
    signal.removeEventListener("abort", poke);
  }
}

/** Resolves on the first of: `listen`'s resume being called, or `REREAD_MS`. */
function nextLook(listen: (resume: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, REREAD_MS);
    listen(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
