/**
 * One nats-server per JetStream store dir: two on one store corrupt it. Whoever starts a server on a
 * store first claims `<store dir>/kiln-nats-server.lock`, created exclusively, naming its own process
 * and, once started, the server's supervisor (infra/nats-server.ts), each with its start time so a
 * recycled pid is never taken for it. A claim whose owner still runs is refused; one left by an owner
 * that died (a SIGKILLed `npm run dev`) is taken over once its server is gone.
 */
import { readFileSync } from "node:fs";
import { open, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const STORE_LOCK_FILE = "kiln-nats-server.lock";
/** Its supervisor stops an orphaned server within a second or two; then it is killed. */
const ORPHAN_EXIT_WAIT_MS = 10_000;
const POLL_MS = 100;

interface ProcessId {
  pid: number;
  /** Clock ticks after boot (/proc/<pid>/stat, field 22); absent where there is no /proc. */
  startedAt?: string;
}

interface LockRecord {
  owner: ProcessId;
  server?: ProcessId;
}

export class StoreInUseError extends Error {
  override readonly name = "StoreInUseError";
  readonly code = "store_in_use";
}

export interface StoreLock {
  /** Records the server's supervisor, so a later claim can tell whether it is still running. */
  serverStarted(supervisorPid: number): Promise<void>;
  release(): Promise<void>;
}

/**
 * Claims `storeDir` for a nats-server of this process. Refuses (StoreInUseError) while another live
 * process holds it; a claim left by a dead owner is taken over after its server has exited (killed
 * after 10 s). `log` hears about a takeover.
 */
export async function claimStore(storeDir: string, log: (line: string) => void): Promise<StoreLock> {
  const file = join(storeDir, STORE_LOCK_FILE);
  const owner = identify(process.pid);
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(JSON.stringify({ owner } satisfies LockRecord));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const held = await readLock(file);
    if (held && isRunning(held.owner)) {
      const who = held.owner.pid === process.pid ? "this process" : `process ${held.owner.pid}`;
      throw new StoreInUseError(
        `the NATS store ${storeDir} is in use by a nats-server of ${who} (${file}); stop that first (for npm run dev: Ctrl-C in its terminal), or give this one another store (KILN_DATA_DIR)`,
      );
    }
    if (held?.server && isRunning(held.server)) {
      log(`waiting for nats-server (supervisor pid ${held.server.pid}) left by process ${held.owner.pid}, which is gone, to exit`);
      await stopOrphan(held.server);
    }
    await rm(file, { force: true });
  }
  let released: Promise<void> | undefined;
  return {
    serverStarted: (supervisorPid) => writeFile(file, JSON.stringify({ owner, server: identify(supervisorPid) } satisfies LockRecord)),
    // Once: a second removal could take the claim another process made meanwhile.
    release: () => (released ??= rm(file, { force: true })),
  };
}

async function readLock(file: string): Promise<LockRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as LockRecord;
  } catch {
    return undefined; // gone meanwhile, or written half by an owner that died: nobody holds it
  }
}

/** Its supervisor is stopping it already (its owner is gone); kill its process group if it lingers. */
async function stopOrphan(server: ProcessId): Promise<void> {
  for (let waitedMs = 0; waitedMs < ORPHAN_EXIT_WAIT_MS; waitedMs += POLL_MS) {
    if (!isRunning(server)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {
    // gone at last
  }
}

function identify(pid: number): ProcessId {
  const startedAt = startTime(pid);
  return startedAt === undefined ? { pid } : { pid, startedAt };
}

function isRunning(id: ProcessId): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return id.startedAt === undefined || startTime(id.pid) === id.startedAt;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)", which may itself hold spaces and parentheses: field 22 is the 20th.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
