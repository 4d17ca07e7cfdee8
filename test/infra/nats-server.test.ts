import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it, vi } from "vitest";
import { findNatsServer, startNatsServer } from "../../infra/nats-server.ts";
import { StoreInUseError } from "../../infra/nats-store-lock.ts";
import { startTestNats } from "../helpers/nats.ts";

describe("nats-server child process", () => {
  it("finds a nats-server binary on this machine", () => {
    expect(findNatsServer()).toBeTypeOf("string");
  });

  it("starts with JetStream on a random port and removes its temp store dir on stop", async () => {
    const server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.getAccountInfo();
    expect(info.streams).toBe(0);
    await nc.close();
    await server.stop();
    await server.stop();
    expect(existsSync(server.storeDir)).toBe(false);
  });

  it("keeps JetStream data across a restart on the same port and store dir", async () => {
    await using nats = await startTestNats();
    const nc = await nats.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "RESTART_CHECK", subjects: ["restart.check"] });
    const js = jetstream(nc);
    await js.publish("restart.check", "before");

    const portBefore = nats.port;
    await nats.restart();
    expect(nats.port).toBe(portBefore);

    // The same connection reconnects; the stream and its message were persisted.
    const stream = await jsm.streams.info("RESTART_CHECK");
    expect(stream.state.messages).toBe(1);
    const msg = await jsm.streams.getMessage("RESTART_CHECK", { seq: 1 });
    expect(msg?.string()).toBe("before");
  });

  it("refuses a second server on a store dir in use, and starts one once the first stopped", async () => {
    const storeDir = await mkdtemp(join(tmpdir(), "kiln-store-lock-"));
    try {
      const first = await startNatsServer({ storeDir });
      await expect(startNatsServer({ storeDir })).rejects.toThrow(StoreInUseError);
      await first.stop();
      const second = await startNatsServer({ storeDir });
      await second.stop();
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
  });

  it("rejects with the server's own log when its port is taken", async () => {
    await using first = await startNatsServer();
    const taken = startNatsServer({ port: first.port });
    await expect(taken).rejects.toThrow(/exited during startup[\s\S]*address already in use/);
    await expect(taken).rejects.toMatchObject({ portInUse: true });
  });

  it("reports a binary that cannot be started", async () => {
    await expect(startNatsServer({ binary: "/nonexistent/nats-server" })).rejects.toThrow(/could not be started/);
  });

  it("fails with an install hint when the binary is missing", async () => {
    vi.stubEnv("KILN_NATS_SERVER", "/nonexistent/nats-server");
    try {
      await expect(startNatsServer()).rejects.toThrow(/apt-get install -y nats-server/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
