/**
 * When the CPU watchdog lowers a sandbox thread to the lowest CPU priority (nice 19) for the rest of
 * its activation. Pure; the watchdog samples and remembers, the sandbox renices
 * (sandbox/thread-priority.ts).
 *
 * Why: once a tenant spins on all the slots it may take, its threads outnumber the cores (7 spinning
 * threads on 2 cores in the bench), and another tenant's activation gets a fraction of a core: its
 * 3-step activation took 123 ms beside the spinners against 18 ms idle, measured with `npm run bench
 * -- --only "cpu neighbour"`. At nice 19 a thread weighs 15 against 1,024 at nice 0 in the Linux
 * scheduler, so spinners keep the cores only while nobody else wants them: the machine stays fully
 * used, and a tenant pays for its own CPU-hungry code, not its neighbours.
 *
 * Counted per activation, inside and outside step bodies alike: a loop between steps hogs a core as
 * much as one in a step. A tenant whose activation was found hungry has its next activations start
 * demoted for `TENANT_DEMOTED_MS`: a spinner's attempts are cut short by their timeout and start
 * again in fresh sandboxes, and on 2 loaded cores each took ~400 ms of wall time to use its first
 * 100 ms of CPU, so demoting only after the threshold left the spinners at full priority ~40 % of
 * the time (the bench's ratio stayed at 3.6× instead of 15×).
 */

/**
 * @default 100 ms: well above what well-behaved work costs in one activation (replaying 1,000 steps
 * takes ~50 ms, a fresh instantiate 5–30 ms), and one tick of the watchdog.
 */
export const DEMOTE_AFTER_CPU_MS = 100;

/** @default 5 s: several of a spinner's attempts, short enough that one heavy activation is soon forgotten. */
export const TENANT_DEMOTED_MS = 5_000;

export interface ActivationPriority {
  /** CPU the sandbox's thread used since the activation started being watched, in milliseconds. */
  readonly usedMs: number;
  /** Its thread is demoted already (it stays so until the activation ends). */
  readonly demoted: boolean;
  /** When an activation of the same tenant was last found hungry, if ever. */
  readonly tenantHungryAt: number | undefined;
}

export interface PriorityVerdict {
  /** Lower the thread's priority now. */
  readonly demote: boolean;
  /** This activation is over the threshold: remember it against its tenant, as of now. */
  readonly hungry: boolean;
}

/** `demoteAfterCpuMs` 0 never demotes. */
export function decidePriority(activation: ActivationPriority, now: number, demoteAfterCpuMs: number): PriorityVerdict {
  if (demoteAfterCpuMs === 0) return { demote: false, hungry: false };
  const hungry = activation.usedMs >= demoteAfterCpuMs;
  const { tenantHungryAt } = activation;
  const tenantDemoted = tenantHungryAt !== undefined && now - tenantHungryAt < TENANT_DEMOTED_MS;
  return { demote: !activation.demoted && (hungry || tenantDemoted), hungry };
}
