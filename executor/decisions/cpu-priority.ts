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
 * demoted for `TENANT_DEMOTED_MS`, from before their component loads: a spinner's attempts are cut
 * short by their timeout and start again in fresh sandboxes, which otherwise loaded and spun at full
 * priority until the watchdog saw 100 ms of their CPU (a few hundred ms of wall time on 2 loaded
 * cores). In the bench, demoting only past the threshold left the quiet tenant at 3.6× idle (one run),
 * remembering the tenant but demoting a fresh sandbox only once loaded at 3.4–10.8×, and demoting it
 * before its load at 1.08–2.70× (three runs each; all with the slot reserve of decisions/slot-share.ts).
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
