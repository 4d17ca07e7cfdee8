/**
 * Hands the executor's activation slots to tenants in turn. Each tenant's intake asks for a slot
 * only when it holds a message, and asks again only once that message got its slot, so the queue
 * of waiting requests holds at most one per tenant and serving it first-come is a round robin: a
 * tenant with a long backlog takes one slot, then waits behind every other tenant that has work.
 * A tenant that already runs something never takes the last `reserve` free slots
 * (decisions/slot-share.ts), so a tenant with nothing running finds a slot at once even while
 * another spins on all the rest; such a waiter is passed over, not a barrier for those behind it.
 */
import { mayTakeSlot } from "./decisions/slot-share.ts";

interface Waiter {
  readonly tenant: string;
  grant(): void;
}

export class FairDispatcher {
  private running = 0;
  private readonly held = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly slots: number,
    private readonly reserve: number,
  ) {}

  /** Activations running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Activations running now, per tenant (a copy). */
  runningByTenant(): ReadonlyMap<string, number> {
    return new Map(this.held);
  }

  /** Resolves with a release function once a slot is this tenant's. */
  async acquire(tenant: string): Promise<() => void> {
    await new Promise<void>((grant) => {
      this.waiting.push({ tenant, grant });
      this.serve();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const held = this.held.get(tenant)! - 1;
      if (held === 0) this.held.delete(tenant);
      else this.held.set(tenant, held);
      this.serve();
    };
  }

  /** Grants slots to waiters in the order they asked, passing over those the reserve holds back. */
  private serve(): void {
    for (let i = 0; i < this.waiting.length && this.running < this.slots;) {
      const waiter = this.waiting[i]!;
      const held = this.held.get(waiter.tenant) ?? 0;
      if (!mayTakeSlot({ slots: this.slots, reserve: this.reserve, running: this.running, held })) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.running++;
      this.held.set(waiter.tenant, held + 1);
      waiter.grant();
    }
  }
}
