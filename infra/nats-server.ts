/**
 * A real `nats-server` child process with JetStream: what `npm run dev` runs embedded and what every
 * integration test starts privately (random port, temp store dir), so nothing is shared or mocked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, createWriteStream, type WriteStream } from "node:fs";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { findNatsServer, natsServerInstallHint } from "../scripts/nats-server-install.mjs";
import { claimStore, type StoreLock } from "./nats-store-lock.ts";

export { findNatsServer };

export interface NatsServerOptions {
  /**
   * JetStream store directory; created if missing and kept on stop.
   * @default a new temp dir, removed on stop
   */
  readonly storeDir?: string;
  /**
   * Client port on 127.0.0.1.
   * @default a free port chosen by the server itself
   */
  readonly port?: number;
  /**
   * Append the server's log to this file (it is kept in memory either way, for startup errors).
   * @default no file
   */
  readonly logFile?: string;
  /**
   * How long to wait for "Server is ready".
   * @default 15_000
   */
  readonly startTimeoutMs?: number;
  /**
   * Hears about taking over a store whose previous owner died (see nats-store-lock.ts).
   * @default console.error
   */
  readonly log?: (line: string) => void;
  /**
   * The binary to run.
   * @default findNatsServer()
   */
  readonly binary?: string;
  /**
   * The server's name; each node of a JetStream cluster needs its own.
   * @default "kiln"
   */
  readonly serverName?: string;
  /**
   * Join a cluster: this node's route port on 127.0.0.1 and the other nodes' route URLs.
   * @default a standalone server
   */
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly string[] };
}

export interface NatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The server's supervisor (see SUPERVISOR): it leads the process group the server runs in. */
  readonly pid: number;
  /** SIGTERM, wait for exit (SIGKILL after 5 s); removes a temp store dir. Safe to call twice. */
  stop(): Promise<void>;
}

export class NatsServerError extends Error {
  override readonly name = "NatsServerError";
  readonly code = "nats_server";
  /** The server exited because another process held its client port (taken after it was probed free). */
  readonly portInUse: boolean;
  constructor(message: string, options?: { cause?: unknown; portInUse?: boolean }) {
    super(message, options);
    this.portInUse = options?.portInUse ?? false;
  }
}

const HOST = "127.0.0.1";
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;
const LISTENING = /Listening for client connections on [^\s]*:(\d+)\s*$/;
const READY = /Server is ready/;
const PORT_IN_USE = /Error listening on port: .*address already in use/;

/** Starts `nats-server -js` and resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? findNatsServer();
  if (binary === undefined) throw new NatsServerError(natsServerInstallHint());
  // Checked here: under its supervisor shell a missing binary would only be an exit code.
  await access(binary, constants.X_OK).catch((error: unknown) => {
    throw new NatsServerError(`nats-server (${binary}) could not be started: ${(error as Error).message}`, { cause: error });
  });

  const ownsStoreDir = options.storeDir === undefined;
  let storeDir: string;
  if (options.storeDir === undefined) {
    storeDir = await mkdtemp(join(tmpdir(), "kiln-nats-"));
  } else {
    storeDir = resolve(options.storeDir);
    await mkdir(storeDir, { recursive: true });
  }

  const lock = await claimStore(storeDir, options.log ?? ((line) => console.error(line)));
  try {
    return await launch(binary, storeDir, lock, ownsStoreDir, options);
  } catch (error) {
    await lock.release();
    if (ownsStoreDir) await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * nats-server runs under this `sh`, whose watcher stops it (SIGTERM) once stdin reaches end of file:
 * its other end is held by this process only, so that happens when `stop()` closes it and also
 * however this process ends, SIGKILL included. So a server never outlives its owner holding a port
 * and a store dir. (Linux's prctl(PR_SET_PDEATHSIG) would do it in the child, but neither Node nor
 * Deno can call prctl without a native addon.) The shell waits for the server in the foreground, so
 * it exits when the server does, on its own or stopped; the watcher signals `$server` only while that
 * shell lives, so never a recycled pid. The watcher writes nothing: the server's stderr closes with it.
 */
const SUPERVISOR = `exec 3<&0
"$@" </dev/null 3<&- & server=$!
{ cat >/dev/null; kill -0 $$ && kill -TERM "$server"; } <&3 >/dev/null 2>&1 &
exec 3<&-
wait "$server"`;

async function launch(binary: string, storeDir: string, lock: StoreLock, ownsStoreDir: boolean, options: NatsServerOptions): Promise<NatsServer> {
  // Port -1 makes the server bind a random free port itself and log it. Probing a port with
  // node:net and handing it over would race with every other test starting a server meanwhile.
  const args = ["-a", HOST, "-p", String(options.port ?? -1), "-js", "-sd", storeDir, "-n", options.serverName ?? "kiln"];
  const { cluster } = options;
  if (cluster) args.push("--cluster_name", cluster.name, "--cluster", `nats://${HOST}:${cluster.port}`, "--routes", cluster.routes.join(","));
  const child = spawn("sh", ["-c", SUPERVISOR, "nats-server-supervisor", binary, ...args], {
    stdio: ["pipe", "ignore", "pipe"],
    // Its own process group: a terminal Ctrl-C reaches only our process, which then stops the
    // services first and NATS last, instead of NATS dying under them mid-shutdown.
    detached: true,
  });
  // Closing stdin is how the server is stopped; the supervisor may be gone already (EPIPE).
  child.stdin.on("error", () => undefined);
  if (child.pid !== undefined) {
    const supervisor = child.pid;
    await lock.serverStarted(supervisor).catch((error: unknown) => {
      killGroup(supervisor, "SIGKILL"); // not started yet: nothing to stop cleanly
      throw error;
    });
  }
  const logFile: WriteStream | undefined = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: "a" });
  const tail: string[] = [];
  // "error" without "exit" happens when the binary cannot be spawned at all.
  const exited = new Promise<void>((resolveExit) => {
    child.once("exit", () => resolveExit());
    child.once("error", () => resolveExit());
  });

  let port: number | undefined;
  const ready = new Promise<number>((resolveReady, rejectReady) => {
    const fail = (why: string, cause?: unknown) =>
      rejectReady(
        new NatsServerError(`nats-server (${binary}) ${why}; its last log lines:\n${tail.join("\n")}`, {
          cause,
          portInUse: tail.some((line) => PORT_IN_USE.test(line)),
        }),
      );
    const lines = createInterface({ input: child.stderr });
    lines.on("line", (line) => {
      logFile?.write(`${line}\n`);
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      const listening = LISTENING.exec(line);
      if (listening) port = Number(listening[1]);
      if (READY.test(line)) {
        if (port === undefined) fail("became ready without logging its client port");
        else resolveReady(port);
      }
    });
    child.once("error", (error) => fail(`could not be started: ${error.message}`, error));
    // "close", not "exit": it comes after stderr is drained, so the tail holds the server's last words.
    child.once("close", (code, signal) => fail(`exited during startup (${signal ?? `code ${code}`})`));
  });

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(() => rejectTimeout(new NatsServerError(`nats-server was not ready after ${timeoutMs} ms:\n${tail.join("\n")}`)), timeoutMs);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await terminate(child, exited);
      await lock.release();
      await new Promise<void>((done) => (logFile ? logFile.end(done) : done()));
      if (ownsStoreDir) await rm(storeDir, { recursive: true, force: true });
    })());

  let boundPort: number;
  try {
    boundPort = await Promise.race([ready, timeout]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    url: `nats://${HOST}:${boundPort}`,
    port: boundPort,
    storeDir,
    pid: child.pid!,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The supervisor SIGTERMs the server and exits after it; the whole group is SIGKILLed after 5 s. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  // Also when the server is gone already: it lets the watcher go.
  child.stdin!.end();
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
  const killTimer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(killTimer);
  }
}

/** Signals every process of a group (the supervisor's: it, `cat` and the server); none left is fine. */
function killGroup(leaderPid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leaderPid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * A port that was free on 127.0.0.1 a moment ago (for callers that need to know it in advance).
 * `preferred` is returned when it is free.
 */
export async function findFreePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && (await isPortFree(preferred))) return preferred;
  return listenOnce(0);
}

export async function isPortFree(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return true;
  } catch {
    return false;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once("error", rejectPort);
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : port;
      server.close(() => resolvePort(bound));
    });
  });
}
