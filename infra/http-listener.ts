/**
 * Serves a `fetch(Request) → Response` app over HTTP with @hono/node-server, which runs on Node and
 * on Deno's node:http alike. The gateway's API and the executor's ops endpoints both use it.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface HttpListener {
  /** Base URL, e.g. http://127.0.0.1:8787 (loopback when listening on every interface). */
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `port` (0: any free port) and `hostname`. @default hostname "0.0.0.0" */
export async function listenHttp(fetch: (request: Request) => Response | Promise<Response>, port: number, hostname = "0.0.0.0"): Promise<HttpListener> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, port, hostname }, () => resolve(started));
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${bound}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Long-lived responses (a log stream's SSE) would otherwise hold the server open.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    },
  };
}
