/** The gateway service: public entry. */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectService } from "../infra/nats-connection.ts";
import { loadGatewayConfig, type GatewayConfig } from "./config.ts";
import { createGateway } from "./gateway.ts";

export { createGateway, loadGatewayConfig, type GatewayConfig };

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  close(): Promise<void>;
}

/** Connects to NATS (unless given a connection) and serves HTTP on `config.port`. */
export async function startGateway(config: GatewayConfig, options: { nc?: NatsConnection; hostname?: string } = {}): Promise<RunningGateway> {
  const nc = options.nc ?? (await connectService(config.natsUrl, "kiln-gateway"));
  const { app, close: closeGateway } = await createGateway(config, nc);
  const hostname = options.hostname ?? "0.0.0.0";
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: config.port, hostname }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Followers of a log stream (SSE) would otherwise hold the server open.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      closeGateway();
      if (!options.nc) await nc.drain();
    },
  };
}
