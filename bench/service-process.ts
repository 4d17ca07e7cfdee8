/** A gateway or executor the benchmark runs as its own process, as in production. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT, type ServiceRuntime } from "./runtime.ts";

export interface ServiceProcess {
  readonly pid: number;
  /** The gateway's base URL (executors have none). */
  readonly url: string | undefined;
  /** Resident set size in bytes, from /proc (Linux). */
  rss(): Promise<number>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const RUNNING = /kiln (gateway|executor) running(?: on (\S+))?/;

export async function startService(
  runtime: ServiceRuntime,
  service: "gateway" | "executor",
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const { file, args } = runtime.command(join(REPO_ROOT, service, "main.ts"));
  const child = spawn(file, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "pipe"] });
  const url = await new Promise<string | undefined>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${service} did not start in ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = RUNNING.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[2]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before it started:\n${output}`));
    });
  });
  // After start, pass the service's own complaints through: a bench run must not hide errors.
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(`[${service} ${child.pid}] ${chunk}`));
  return {
    pid: child.pid!,
    url,
    async rss() {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (!kib) throw new Error(`no VmRSS for process ${child.pid}`);
      return Number(kib) * 1024;
    },
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
