/** How a Kiln service connects to NATS. */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";

/**
 * Reconnects forever (a service outlives NATS restarts), and skips the stack trace nats.js captures
 * up front for every request in case it fails: ~50 µs per KV write, paid on every committed step.
 */
export function connectService(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: url, name, maxReconnectAttempts: -1, noAsyncTraces: true });
}
