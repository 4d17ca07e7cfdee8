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

/** The port is held by another process (rejected by `listenHttp` instead of crashing the process). */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(
    readonly port: number,
    hostname: string,
    setting: string,
  ) {
    super(`port ${port} on ${hostname} is in use by another process: stop it, or set ${setting} to another port (0 takes any free one)`);
  }
}

export interface ListenOptions {
  /** @default "0.0.0.0" */
  hostname?: string;
  /** The setting that chose the port, named in the error when it is taken. */
  portSetting: string;
}

/** Listens on `port` (0: any free port). */
export async function listenHttp(fetch: (request: Request) => Response | Promise<Response>, port: number, options: ListenOptions): Promise<HttpListener> {
  const hostname = options.hostname ?? "0.0.0.0";
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch, port, hostname }, () => resolve(started));
    // Without a listener, a taken port is an uncaught 'error' event that ends the process.
    started.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(port, hostname, options.portSetting) : error),
    );
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
