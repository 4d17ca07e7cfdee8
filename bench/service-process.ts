/** A gateway or executor the benchmark runs as its own process, as in production, and its memory. */
import { readFile } from "node:fs/promises";
import { spawnService, type Launcher, type ServiceName, type ServiceProcess } from "../infra/runtime/mod.ts";

export interface BenchService extends ServiceProcess {
  /** Resident set size in bytes, from /proc (Linux). */
  rss(): Promise<number>;
  /** CPU time used so far (user + system, all threads), from /proc (Linux). */
  cpuMs(): Promise<number>;
  /** Write system calls made so far (sockets, pipes, files), from /proc (Linux). */
  writes(): Promise<number>;
}

/** Clock ticks per second of /proc's CPU times: `getconf CLK_TCK` is 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** CPU time a process used so far, user + system, in ms (Linux). */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command (in parentheses, may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * Write system calls a process made so far (`syscw` of /proc/<pid>/io, Linux): each socket write
 * to nats-server wakes it, so fewer writes per unit of work means less CPU on both sides.
 */
export async function processWrites(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, "utf8");
  const count = /syscw:\s+(\d+)/.exec(io)?.[1];
  if (!count) throw new Error(`no syscw for process ${pid}`);
  return Number(count);
}

/**
 * The launcher with Node's `--cpu-prof` on every service it starts (`npm run bench -- --cpu-prof dir`):
 * each process (and worker thread) writes a `.cpuprofile` into `dir` as it exits, for Chrome DevTools.
 */
export function withCpuProfile(launcher: Launcher, dir: string): Launcher {
  if (launcher.name !== "node") throw new Error(`--cpu-prof needs services on node, not ${launcher.name}`);
  return {
    ...launcher,
    scriptArgs: (script, options = {}) =>
      launcher.scriptArgs(script, { ...options, v8Flags: [...(options.v8Flags ?? []), "--cpu-prof", `--cpu-prof-dir=${dir}`] }),
  };
}

/** The child of `pid` running `command` (e.g. nats-server under its supervisor shell), from /proc (Linux). */
export async function childNamed(pid: number, command: string): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).split(" ").filter(Boolean).map(Number);
  for (const child of children) if ((await readFile(`/proc/${child}/comm`, "utf8")).trim() === command) return child;
  throw new Error(`process ${pid} has no child running ${command}`);
}

export async function startService(launcher: Launcher, name: ServiceName, env: Record<string, string>): Promise<BenchService> {
  const service = await spawnService(name, { launcher, env: { ...process.env, ...env } });
  return {
    ...service,
    async rss() {
      const status = await readFile(`/proc/${service.pid}/status`, "utf8");
      const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (!kib) throw new Error(`no VmRSS for process ${service.pid}`);
      return Number(kib) * 1024;
    },
    cpuMs: () => processCpuMs(service.pid),
    writes: () => processWrites(service.pid),
  };
}
