/**
 * Three `nats-server`s on loopback as one JetStream cluster (routes between them), for the fault
 * tests: a node can be SIGKILLed and started again on its own ports and store dir. It satisfies
 * `TestNats`, so `startKiln({ nats })` runs a whole Kiln on it with `url` listing every node.
 *
 *   const cluster = await startTestNatsCluster();
 *   await cluster.kill(1); … await cluster.start(1);
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { findFreePort, startNatsServer, type NatsServer } from "../../infra/nats-server.ts";
import type { TestNats } from "./nats.ts";

export interface TestNatsCluster extends TestNats {
  /** Client ports of the nodes, in node order. */
  readonly ports: readonly number[];
  /** The node's server name (`node-<i>`), as in `jsm.streams.info().cluster.leader`. */
  nodeName(node: number): string;
  /** SIGKILLs the node's server (its supervisor's whole process group), as a machine dies. */
  kill(node: number): Promise<void>;
  /** Starts a killed node again on its ports and store dir; resolves once it accepts clients. */
  start(node: number): Promise<void>;
}

const NODES = 3;
const CLUSTER_NAME = "kiln-test";
/** A new cluster elects its JetStream meta leader within seconds; a loaded machine may take longer. */
const META_LEADER_TIMEOUT_MS = 60_000;

export async function startTestNatsCluster(): Promise<TestNatsCluster> {
  const root = await mkdtemp(join(tmpdir(), "kiln-test-cluster-"));
  const ports: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < NODES; i++) {
    ports.push(await findFreePort());
    routePorts.push(await findFreePort());
  }
  const servers: (NatsServer | undefined)[] = Array.from({ length: NODES }, () => undefined);
  const nodeName = (node: number) => `node-${node}`;
  const start = async (node: number) => {
    servers[node] = await startNatsServer({
      storeDir: join(root, nodeName(node)),
      port: ports[node]!,
      serverName: nodeName(node),
      cluster: { name: CLUSTER_NAME, port: routePorts[node]!, routes: routePorts.filter((_, i) => i !== node).map((port) => `nats://127.0.0.1:${port}`) },
    });
  };
  const connections = new Set<NatsConnection>();
  const url = ports.map((port) => `nats://127.0.0.1:${port}`).join(",");
  const kill = async (node: number) => {
    const server = servers[node];
    if (!server) return;
    servers[node] = undefined;
    process.kill(-server.pid, "SIGKILL");
    await server.stop();
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled([...connections].map((nc) => nc.close()));
      await Promise.allSettled(servers.flatMap((server) => (server ? [server.stop()] : [])));
      await rm(root, { recursive: true, force: true });
    })());

  try {
    await Promise.all(ports.map((_, node) => start(node)));
    await metaLeaderElected(url);
  } catch (error) {
    await stop();
    throw error;
  }
  const cluster: TestNatsCluster = {
    url,
    port: ports[0]!,
    storeDir: root,
    ports,
    nodeName,
    kill,
    start,
    async connect(options = {}) {
      const nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 100, ...options, servers: url.split(",") });
      connections.add(nc);
      void nc.closed().then(() => connections.delete(nc));
      return nc;
    },
    /** Restarts node 0 (the others stay up: a cluster never goes down whole). */
    async restart({ downMs = 0, kill: hard = false } = {}) {
      if (hard) await kill(0);
      else {
        await servers[0]?.stop();
        servers[0] = undefined;
      }
      if (downMs > 0) await new Promise((done) => setTimeout(done, downMs));
      await start(0);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return cluster;
}

/** Waits until JetStream answers account info, which needs an elected meta leader. */
async function metaLeaderElected(url: string): Promise<void> {
  const nc = await connect({ servers: url.split(",") });
  try {
    // Without `checkAPI: false` the manager itself asks for account info once and gives up.
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const deadline = Date.now() + META_LEADER_TIMEOUT_MS;
    for (;;) {
      try {
        await jsm.getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the test cluster elected no JetStream meta leader within ${META_LEADER_TIMEOUT_MS} ms`, { cause: error });
        await new Promise((done) => setTimeout(done, 250));
      }
    }
  } finally {
    await nc.close();
  }
}
