/**
 * Whether a tenant may take one of the executor's local activation slots now. Pure; the
 * `FairDispatcher` keeps the counts and hands out the slots.
 *
 * The last `reserve` free slots go only to a tenant that runs nothing here: a tenant spinning on
 * every slot it may take (each activation ended by its step timeout and started again at once) can
 * never hold them all, so another tenant's new work starts at once instead of waiting for one of the
 * spinner's activations to end. Measured with `npx tsx bench/main.ts --only "cpu neighbour"` (8 slots,
 * 16 spinning instances of one tenant, 2 loaded cores): the quiet tenant's 3-step create → complete
 * p50 was 653 ms against 43.7 ms idle, its activation only 123 ms of it. The reserve alone brought it
 * to 11.8× idle (its activation 7.7 ms: the rest queued for a core behind the spinners), demoting the
 * spinners' threads alone to 12.5×; both together to 1.08–2.70× (decisions/cpu-priority.ts). Round
 * robin alone does not do it: it decides who gets the next free slot, not how soon one frees.
 */

/** What the dispatcher knows when a tenant asks. */
export interface SlotShare {
  /** The executor's local slots (`KILN_EXECUTOR_CONCURRENCY`). */
  readonly slots: number;
  /** Free slots kept for tenants that run nothing here. */
  readonly reserve: number;
  /** Activations running now, all tenants. */
  readonly running: number;
  /** Activations the asking tenant runs now. */
  readonly held: number;
}

export function mayTakeSlot({ slots, reserve, running, held }: SlotShare): boolean {
  const free = slots - running;
  if (free <= 0) return false;
  return held === 0 || free > reserve;
}

/**
 * The reserve an executor keeps by default: one slot in eight, at least one. A tenant alone on the
 * executor then gives up 1/8 of its slots (activations mostly wait on NATS, so fewer than that of its
 * throughput); more would cost a single busy tenant more, fewer would let two spinners starve a third.
 * With one slot there is nothing to reserve: a tenant holding it has no other slot to leave free.
 */
export function defaultSlotReserve(slots: number): number {
  return slots <= 1 ? 0 : Math.max(1, Math.floor(slots / 8));
}
