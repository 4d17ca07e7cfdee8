/**
 * Whether the gateway can serve requests now, for `GET /readyz`: its NATS connection is up. A
 * reconnecting connection is not closed (so `/healthz`, liveness, stays ok and nothing restarts the
 * gateway while NATS restarts), but every request would wait and answer 503 meanwhile: a load
 * balancer should send traffic elsewhere until the connection is back.
 */
import type { NatsConnection } from "@nats-io/nats-core";

export interface Readiness {
  /** The connection is open and not between a disconnect and a reconnect. */
  ready(): boolean;
}

/** Follows the connection's status events; the resources were opened before the app exists. */
export function watchReadiness(nc: NatsConnection): Readiness {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      else if (status.type === "reconnect") connected = true;
    }
  })();
  return { ready: () => connected && !nc.isClosed() };
}
