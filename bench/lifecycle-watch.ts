/**
 * Follows one tenant's lifecycle events (`kiln.events.<tenant>.>`), as an operator would: the
 * benchmark reads activation timings and completion times from them instead of polling the API.
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { Subjects, type LifecycleEvent } from "../contract/mod.ts";

export class LifecycleWatch {
  private readonly events = new Map<string, LifecycleEvent[]>();
  private readonly waiters = new Map<string, Array<{ kinds: readonly string[]; resolve(event: LifecycleEvent): void }>>();
  private readonly subscription: Subscription;

  constructor(nc: NatsConnection, tenant: string) {
    this.subscription = nc.subscribe(Subjects.eventsOfTenant(tenant), {
      callback: (error, message) => {
        if (error) return;
        this.record(message.json<LifecycleEvent>());
      },
    });
  }

  /** Resolves with the instance's first event of one of `kinds` (already seen or yet to come). */
  next(instance: string, kinds: readonly string[], timeoutMs = 300_000): Promise<LifecycleEvent> {
    const seen = this.events.get(instance)?.find((event) => kinds.includes(event.kind));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`instance ${instance}: no ${kinds.join("/")} event within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(instance) ?? [];
      list.push({ kinds, resolve: (event) => (clearTimeout(timer), resolve(event)) });
      this.waiters.set(instance, list);
    });
  }

  /**
   * Resolves with the `complete` event; rejects if the instance errored or was terminated instead,
   * with the error `explain` finds for it.
   */
  async completed(instance: string, explain: (instance: string) => Promise<unknown>): Promise<LifecycleEvent> {
    const event = await this.next(instance, ["complete", "errored", "terminated"]);
    if (event.kind !== "complete") {
      const why = await explain(instance).catch((error: unknown) => `(could not read it: ${(error as Error).message})`);
      throw new Error(`instance ${instance} ended ${event.kind}, not complete: ${JSON.stringify(why)}`);
    }
    return event;
  }

  /** Every event of an instance so far, in arrival order. */
  of(instance: string): LifecycleEvent[] {
    return this.events.get(instance) ?? [];
  }

  /** Forgets what was seen, so the next phase of a scenario starts clean. */
  reset(): void {
    this.events.clear();
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private record(event: LifecycleEvent): void {
    const list = this.events.get(event.instance) ?? [];
    list.push(event);
    this.events.set(event.instance, list);
    const waiting = this.waiters.get(event.instance);
    if (!waiting) return;
    const remaining = waiting.filter((waiter) => {
      if (!waiter.kinds.includes(event.kind)) return true;
      waiter.resolve(event);
      return false;
    });
    if (remaining.length) this.waiters.set(event.instance, remaining);
    else this.waiters.delete(event.instance);
  }
}
