/**
 * A sandbox thread's CPU priority. On Linux a thread id is a valid `setpriority(PRIO_PROCESS, …)`
 * target that changes only that thread, which `os.setPriority(tid, …)` reaches: checked on Node 20,
 * Node 24 and Deno 2.9 (the thread's nice value, field 19 of `/proc/<pid>/task/<tid>/stat`, reads 19
 * afterwards, the main thread's stays 0). Elsewhere there is no tid (sandbox-worker.js reads it from
 * `/proc/thread-self`) and sandboxes are never demoted.
 *
 * Raising a nice value back needs root or CAP_SYS_NICE; without them a demoted thread stays demoted,
 * so its sandbox is discarded rather than reused (sandbox-pool.ts).
 */
import { getPriority, setPriority } from "node:os";

/** The lowest priority there is: a demoted thread runs only when no other thread wants the core. */
export const DEMOTED_NICE = 19;

/** Lowers the thread to `DEMOTED_NICE`; its previous nice value, or undefined if it could not. */
export function demoteThread(tid: number): number | undefined {
  try {
    const previous = getPriority(tid);
    setPriority(tid, DEMOTED_NICE);
    return previous;
  } catch {
    return undefined; // the thread is gone, or the runtime cannot: it runs on at its priority
  }
}

/** Gives the thread its nice value back; false if this process may not (no CAP_SYS_NICE). */
export function restoreThread(tid: number, nice: number): boolean {
  try {
    setPriority(tid, nice);
    return getPriority(tid) === nice;
  } catch {
    return false;
  }
}
