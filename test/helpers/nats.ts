/**
 * The one way tests get NATS: a private `nats-server` with JetStream on a random port and a temp
 * store dir, gone when the test is done.
 *
 *   await using nats = await startTestNats();
 *   const nc = await nats.connect();
 *   await nats.restart(); // same port and store dir: what was persisted must still be there
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "../../infra/nats-server.ts";

export interface TestNats extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>`; unchanged across restarts. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /**
   * A client connection closed on dispose. It reconnects forever by default, so it survives
   * `restart()` the way a service's connection would.
   */
  connect(options?: NodeConnectionOptions): Promise<NatsConnection>;
  /**
   * Stops the server (SIGTERM, as an operator would; SIGKILL with `kill`, as a crash would) and
   * starts it again on the same port and store dir, optionally staying down for `downMs` first. Resolves once every connection made
   * with `connect()` is back: nats.js buffers a request sent while disconnected, but a JetStream
   * request buffered that way times out instead of being answered after the reconnect.
   */
  restart(options?: { downMs?: number; kill?: boolean }): Promise<void>;
  /** Closes tracked connections, stops the server, removes the store dir. Safe to call twice. */
  stop(): Promise<void>;
}

const RECONNECT_TIMEOUT_MS = 10_000;

/** Resolves at the connection's next reconnect (or close), rejects after RECONNECT_TIMEOUT_MS. */
function reconnected(nc: NatsConnection): Promise<void> {
  // Subscribe to status events now, before the server goes down, so the event cannot be missed.
  const events = nc.status()[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const waitForEvent = (async () => {
    for (;;) {
      const next = await events.next();
      if (next.done || next.value.type === "reconnect") return;
    }
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a test connection did not reconnect within ${RECONNECT_TIMEOUT_MS} ms of restart()`)), RECONNECT_TIMEOUT_MS);
  });
  return Promise.race([waitForEvent, nc.closed().then(() => undefined), timeout]).finally(() => {
    clearTimeout(timer);
    void events.return?.();
  });
}

export async function startTestNats(): Promise<TestNats> {
  // The helper owns the store dir (not infra), so it outlives restarts of the server.
  const storeDir = await mkdtemp(join(tmpdir(), "kiln-test-nats-"));
  let server: NatsServer;
  try {
    server = await startNatsServer({ storeDir });
  } catch (error) {
    await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  const { url, port } = server;
  const connections = new Set<NatsConnection>();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled([...connections].map((nc) => nc.close()));
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    })());

  return {
    url,
    port,
    storeDir,
    async connect(options = {}) {
      const nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 100, ...options, servers: url });
      connections.add(nc);
      void nc.closed().then(() => connections.delete(nc));
      return nc;
    },
    async restart({ downMs = 0, kill = false } = {}) {
      if (stopping) throw new Error("restart() after stop(): this TestNats is disposed");
      const back = [...connections].map((nc) => reconnected(nc));
      // The supervisor leads the server's process group: SIGKILL all of it, then stop() only reaps.
      if (kill) process.kill(-server.pid, "SIGKILL");
      await server.stop();
      if (downMs > 0) await new Promise((done) => setTimeout(done, downMs));
      server = await startNatsServer({ storeDir, port });
      await Promise.all(back);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
