/**
 * The claim on a NATS store dir (infra/nats-store-lock.ts) against real processes: a claim whose
 * owner runs is refused, naming it; one whose owner is gone is taken over; released, it is free.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimStore, identifyProcess, StoreInUseError } from "../../infra/nats-store-lock.ts";

const LOCK = "kiln-nats-server.lock";
const ignore = () => undefined;

/** A claim as another process would have written it. */
const claimOf = (pid: number) => JSON.stringify({ owner: identifyProcess(pid) });

describe("the claim on a NATS store dir", () => {
  let storeDir: string;
  beforeEach(async () => {
    storeDir = await mkdtemp(join(tmpdir(), "kiln-store-claim-"));
  });
  afterEach(async () => rm(storeDir, { recursive: true, force: true }));

  it("is refused while its owner runs, naming it", async () => {
    const owner = spawn("sleep", ["30"]);
    try {
      await writeFile(join(storeDir, LOCK), claimOf(owner.pid!));
      await expect(claimStore(storeDir, ignore)).rejects.toThrow(StoreInUseError);
      await expect(claimStore(storeDir, ignore)).rejects.toThrow(`in use by a nats-server of process ${owner.pid}`);
    } finally {
      owner.kill("SIGKILL");
    }
  });

  it("is taken over when its owner is gone, and free again once released", async () => {
    const owner = spawn("sleep", ["30"]);
    const claim = claimOf(owner.pid!);
    owner.kill("SIGKILL");
    await new Promise((resolve) => owner.once("exit", resolve));
    await writeFile(join(storeDir, LOCK), claim);

    const lock = await claimStore(storeDir, ignore);
    await expect(claimStore(storeDir, ignore)).rejects.toThrow("in use by a nats-server of this process");
    await lock.release();
    await (await claimStore(storeDir, ignore)).release();
    // Nothing left beside the store: no record files of the writes, no claim moved aside.
    expect(await readdir(storeDir)).toEqual([]);
  });
});
