/**
 * Starts the gateway or an executor as a child process on a chosen runtime (tests, benchmarks, mixed
 * Node/Deno fleets) and resolves once it logs that it is running.
 *
 *   await using executor = await spawnService("executor", { launcher: launcherFor("deno"), env });
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DENO_EXECUTOR_PERMISSIONS } from "./deno.ts";
import type { Launcher, RuntimeName, ScriptOptions } from "./types.ts";
import { WASM_MEMORY_CAP_FLAG } from "./wasm-memory.ts";

/** `dev` is `npm run dev` (scripts/dev.ts): a gateway and an executor in one process. */
export type ServiceName = "gateway" | "executor" | "dev";

const SCRIPTS: Record<ServiceName, string> = { gateway: "gateway/main.ts", executor: "executor/main.ts", dev: "scripts/dev.ts" };

export interface SpawnServiceOptions {
  readonly launcher: Launcher;
  /** The whole environment of the child (`KILN_NATS_URL` and the service's settings). */
  readonly env: Record<string, string | undefined>;
  /**
   * Give up (and kill the child) when it has not logged its startup line by then.
   * @default 60_000
   */
  readonly startTimeoutMs?: number;
}

export interface ServiceProcess extends AsyncDisposable {
  readonly name: ServiceName;
  readonly runtime: RuntimeName;
  readonly pid: number;
  /** The executor's id (as in its leases and lifecycle events). */
  readonly id: string | undefined;
  /** The gateway's base URL. */
  readonly url: string | undefined;
  /** What the child reports it runs on, e.g. `deno 2.9.6` or `node v24.11.0`. */
  readonly description: string;
  /** SIGTERM and wait for the exit (SIGKILL after 30 s); safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, like a machine that dies, and wait for the exit. */
  kill(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STOP_GRACE_MS = 30_000;
const LOG_TAIL_CHARS = 4_000;
/**
 * `kiln executor executor-1a2b3c4d running on http://… (deno 2.9.6, NATS …)`, `kiln gateway running on
 * http://… (…)`, `kiln dev running on …`: the message of service-main.ts's startup log line (inside a JSON
 * record or a pretty line), or scripts/dev.ts's.
 */
const STARTED = /\bkiln (?:gateway|executor|dev)(?: (\S+))? running(?: on (\S+))? \(([^,]+),/;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
/** Children still running when this process exits are killed, so none outlives a crashed test run. */
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const running of live) running.kill("SIGKILL");
  });
}

export async function spawnService(name: ServiceName, options: SpawnServiceOptions): Promise<ServiceProcess> {
  const { launcher } = options;
  // As deno.json's tasks start them: the executor with the Wasm cap and only the permissions it
  // needs, dev (which runs an executor in its own process) with the Wasm cap.
  const script: ScriptOptions =
    name === "executor"
      ? { v8Flags: [WASM_MEMORY_CAP_FLAG], denoPermissions: DENO_EXECUTOR_PERMISSIONS }
      : name === "dev"
        ? { v8Flags: [WASM_MEMORY_CAP_FLAG] }
        : {};
  const child = spawn(launcher.binary, launcher.scriptArgs(`${REPO_ROOT}${SCRIPTS[name]}`, script), {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let log = "";
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-LOG_TAIL_CHARS);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });

  const what = `${name} on ${launcher.name} (${launcher.binary})`;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let started: RegExpExecArray;
  try {
    started = await new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = STARTED.exec(log);
        if (!match) return;
        child.stderr.off("data", check);
        resolve(match);
      };
      child.stderr.on("data", check);
      child.once("error", (error) => reject(new Error(`could not start the ${what}: ${error.message}`)));
      child.once("exit", (code, signal) => reject(new Error(`the ${what} exited during startup (${signal ?? `code ${code}`}):\n${log}`)));
      timer = setTimeout(() => reject(new Error(`the ${what} did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }

  const description = started[3]!;
  if (!description.startsWith(`${launcher.name} `)) {
    child.kill("SIGKILL");
    await exited;
    throw new Error(`the ${what} reports that it runs on ${description}: check the binary`);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    })());

  return {
    name,
    runtime: launcher.name,
    pid: child.pid!,
    id: started[1],
    url: started[2],
    description,
    stop,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    [Symbol.asyncDispose]: stop,
  };
}
