/** A gateway or executor the benchmark runs as its own process, as in production, and its memory. */
import { readFile } from "node:fs/promises";
import { spawnService, type Launcher, type ServiceName, type ServiceProcess } from "../infra/runtime/mod.ts";

export interface BenchService extends ServiceProcess {
  /** Resident set size in bytes, from /proc (Linux). */
  rss(): Promise<number>;
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
  };
}
