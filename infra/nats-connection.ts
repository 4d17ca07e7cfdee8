/** How a Kiln service connects to NATS. */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
// Stops nats.js from building an Error on every completed request (see the module).
import "./nats-request-settle.ts";
// Sends queued by many tasks in a row leave in one socket write (see the module).
import "./nats-write-batching.ts";

/**
 * The servers in `KILN_NATS_URL`: one URL or a comma-separated list (every node of a cluster, so a
 * service can start while one is down). nats.js takes a string as a single URL, so it is split here.
 */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
}

/**
 * Reconnects forever (a service outlives NATS restarts), and skips the stack trace nats.js captures
 * up front for every request in case it fails: ~50 µs per KV write, paid on every committed step
 * (the one it still built after each request completes is gone too: nats-request-settle.ts).
 */
export function connectService(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: natsServers(url), name, maxReconnectAttempts: -1, noAsyncTraces: true });
}
