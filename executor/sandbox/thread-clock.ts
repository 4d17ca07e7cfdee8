/**
 * The CPU one sandbox's worker thread has used, for the CPU budgets (see decisions/cpu-budget.ts).
 * The thread's own CPU, not the process's, and not wall time: on a loaded 2-core machine wall time
 * runs away from CPU time, and a tenant must not pay for its neighbours.
 *
 * Three sources, best first:
 * - `worker.cpuUsage()` (Node ≥ 24.6, Deno 2): checked here, Deno 2.9 answers it for a spinning worker.
 * - On Linux, `/proc/self/task/<tid>/stat` of the worker thread (Node 20 has no `cpuUsage`): the worker
 *   reads its tid from `/proc/thread-self` and sends it before it loads. Ticks of 10 ms (USER_HZ is 100 on
 *   every Linux ABI), fine for budgets of ≥ 100 ms.
 * - Else wall time spent in activations minus the time the guest sat blocked on a host answer.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { Worker } from "node:worker_threads";

/** `sysconf(_SC_CLK_TCK)`: the unit of utime and stime in /proc, fixed at 100 for user space. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * utime + stime of a `/proc/…/stat` line, in milliseconds. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted after the last ')'.
 */
export function parseProcStatCpuMs(stat: string): number {
  const close = stat.lastIndexOf(")");
  if (close < 0) throw new Error(`not a /proc stat line: '${stat.slice(0, 80)}'`);
  // After ')': field 3 (state) is index 0, so utime (field 14) is index 11 and stime (15) index 12.
  const fields = stat.slice(close + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`no utime/stime in /proc stat line: '${stat.slice(0, 80)}'`);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** A stat line is ~300 bytes (the command name is at most 16). */
const statBuffer = new Uint8Array(1024);
const statDecoder = new TextDecoder();

/** `worker.cpuUsage()` where the runtime has it (typed here: @types/node 20 does not know it). */
type CpuUsageWorker = Worker & { cpuUsage?: () => Promise<{ user: number; system: number }> };

export class ThreadClock {
  private tid: number | undefined;
  /** The thread's `/proc` stat file, open while the thread lives. */
  private statFd: number | undefined;
  /** Fallback accounting, all from `performance.now()`. */
  private busyMs = 0;
  private activeSince: number | undefined;
  private blockedSince: number | undefined;

  constructor(private readonly worker: Worker) {
    worker.once("exit", () => this.closeStat());
  }

  /** The worker's thread id, as it read it from `/proc/thread-self`. */
  setThread(tid: number | undefined): void {
    this.tid = tid;
  }

  activationStarted(): void {
    this.activeSince = performance.now();
  }

  activationEnded(): void {
    if (this.activeSince !== undefined) this.busyMs += performance.now() - this.activeSince;
    this.activeSince = undefined;
  }

  blocked(): void {
    this.blockedSince = performance.now();
  }

  answered(): void {
    if (this.blockedSince !== undefined) this.busyMs -= performance.now() - this.blockedSince;
    this.blockedSince = undefined;
  }

  /** Which source `cpuMs` reads: the thread's own CPU where the runtime or the OS tells it. */
  get source(): "cpuUsage" | "procfs" | "wall" {
    if (typeof (this.worker as CpuUsageWorker).cpuUsage === "function") return "cpuUsage";
    return this.tid === undefined ? "wall" : "procfs";
  }

  /** CPU the thread has used so far, in milliseconds. */
  async cpuMs(): Promise<number> {
    const worker = this.worker as CpuUsageWorker;
    if (typeof worker.cpuUsage === "function") {
      const { user, system } = await worker.cpuUsage();
      return (user + system) / 1000;
    }
    if (this.tid !== undefined) {
      try {
        return parseProcStatCpuMs(this.readStat(this.tid));
      } catch {
        this.closeStat();
        this.tid = undefined; // no procfs here after all: fall back for good
      }
    }
    return this.wallEstimateMs();
  }

  /**
   * The file is opened once and read again from offset 0 (one pread; procfs renders it afresh), in
   * this thread: `readFile` costs open, fstat, read and close on the thread pool per read, which was
   * ~1 ms of the executor's main-thread CPU per 3-step instance in the 32-clients bench's profile.
   */
  private readStat(tid: number): string {
    this.statFd ??= openSync(`/proc/self/task/${tid}/stat`, "r");
    const length = readSync(this.statFd, statBuffer, 0, statBuffer.length, 0);
    return statDecoder.decode(statBuffer.subarray(0, length));
  }

  private closeStat(): void {
    if (this.statFd === undefined) return;
    closeSync(this.statFd);
    this.statFd = undefined;
  }

  private wallEstimateMs(): number {
    const now = performance.now();
    const running = this.activeSince === undefined ? 0 : now - this.activeSince;
    const blocked = this.blockedSince === undefined ? 0 : now - this.blockedSince;
    return this.busyMs + running - blocked;
  }
}
