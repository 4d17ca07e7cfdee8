/**
 * Holds back a tenant's intake while the tenant is at its `limits.concurrency`. Without it, each
 * message found over the limit is nak'd and the intake pulls the next one at once, so an executor
 * would spin through the tenant's backlog reading slots. Closed for the nak delay, or until this
 * executor frees one of the tenant's slots (another executor's release is seen at the next try).
 */
export class ConcurrencyGate {
  private readonly closed = new Map<string, { timer: ReturnType<typeof setTimeout>; waiters: (() => void)[] }>();

  /** Holds the tenant's intake back for `delayMs` from now (a later close restarts the wait). */
  close(tenant: string, delayMs: number): void {
    const current = this.closed.get(tenant);
    if (current) clearTimeout(current.timer);
    const waiters = current?.waiters ?? [];
    this.closed.set(tenant, { timer: setTimeout(() => this.open(tenant), delayMs), waiters });
  }

  open(tenant: string): void {
    const current = this.closed.get(tenant);
    if (!current) return;
    clearTimeout(current.timer);
    this.closed.delete(tenant);
    for (const wake of current.waiters) wake();
  }

  /** Resolves at once when the tenant is not held back, else when it is let through again. */
  async passage(tenant: string): Promise<void> {
    const current = this.closed.get(tenant);
    if (current) await new Promise<void>((resolve) => current.waiters.push(resolve));
  }

  /** Lets every waiting intake through, for shutdown. */
  openAll(): void {
    for (const tenant of [...this.closed.keys()]) this.open(tenant);
  }
}
