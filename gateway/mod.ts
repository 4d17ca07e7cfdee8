/** The gateway service: public entry. */
import type { NatsConnection } from "@nats-io/nats-core";
import { listenHttp, type HttpListener } from "../infra/http-listener.ts";
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
  let listener: HttpListener;
  try {
    listener = await listenHttp(app.fetch, config.port, { hostname: options.hostname, portSetting: "KILN_PORT" });
  } catch (error) {
    closeGateway();
    if (!options.nc) await nc.drain();
    throw error;
  }
  return {
    url: listener.url,
    async close() {
      await listener.close();
      closeGateway();
      if (!options.nc) await nc.drain();
    },
  };
}
