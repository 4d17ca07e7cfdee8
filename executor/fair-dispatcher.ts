/**
 * Hands the executor's activation slots to tenants in turn. Each tenant's intake asks for a slot
 * only when it holds a message, and asks again only once that message got its slot, so the queue
 * of waiting requests holds at most one per tenant and serving it first-come is a round robin: a
 * tenant with a long backlog takes one slot, then waits behind every other tenant that has work.
 */
export class FairDispatcher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {}

  /** Activations running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Resolves with a release function once a slot is this caller's. */
  async acquire(): Promise<() => void> {
    if (this.running >= this.slots || this.waiting.length > 0) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `running` stays as it is.
      if (next) next();
      else this.running--;
    };
  }
}
