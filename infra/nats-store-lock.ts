/**
 * One nats-server per JetStream store dir: two on one store corrupt it. Whoever starts a server on a
 * store first claims `<store dir>/kiln-nats-server.lock`, created exclusively, naming its own process
 * and, once started, the server's supervisor (infra/nats-server.ts), each with its start time so a
 * recycled pid is never taken for it. A claim whose owner still runs is refused; one left by an owner
 * that died (a SIGKILLed `npm run dev`) is taken over once its server is gone.
 */
import { readFileSync } from "node:fs";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { delay } from "./delay.ts";

const STORE_LOCK_FILE = "kiln-nats-server.lock";
/** Its supervisor stops an orphaned server within a second or two; then it is killed. */
const ORPHAN_EXIT_WAIT_MS = 10_000;
const POLL_MS = 100;

export interface ProcessId {
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
  const owner = identifyProcess(process.pid);
  for (;;) {
    if (await writeRecord(file, { owner }, "create")) break;
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
    await removeStale(file, held);
  }
  let released: Promise<void> | undefined;
  return {
    serverStarted: async (supervisorPid) => {
      await writeRecord(file, { owner, server: identifyProcess(supervisorPid) }, "replace");
    },
    // Once: a second removal could take the claim another process made meanwhile.
    release: () => (released ??= rm(file, { force: true })),
  };
}

/**
 * Writes the whole record at once, so a reader never sees half of one: to a file of its own, then
 * linked to the lock's name (`create`: fails if a claim exists; answers false) or renamed over it.
 */
async function writeRecord(file: string, record: LockRecord, mode: "create" | "replace"): Promise<boolean> {
  const own = `${file}.${process.pid}.${crypto.randomUUID()}`;
  await writeFile(own, JSON.stringify(record));
  try {
    if (mode === "replace") await rename(own, file);
    else await link(own, file);
    return true;
  } catch (error) {
    if (mode === "create" && (error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(own, { force: true });
  }
}

/**
 * Removes the claim judged stale, and only that one: it is moved aside first, and should it turn out
 * to be a claim another starter made meanwhile, it is put back.
 */
async function removeStale(file: string, judged: LockRecord | undefined): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${crypto.randomUUID()}`;
  try {
    await rename(file, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  const moved = await readLock(aside);
  if (moved !== undefined && JSON.stringify(moved) !== JSON.stringify(judged)) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
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
    await delay(POLL_MS);
  }
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {
    // gone at last
  }
}

/** A process as a claim names it: its pid and, where /proc tells it, when it started. */
export function identifyProcess(pid: number): ProcessId {
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
