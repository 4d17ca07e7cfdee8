/** Whether a NATS connection is up right now, for readiness probes: followed from its status events. */
import type { NatsConnection } from "@nats-io/nats-core";

export interface NatsLiveness {
  /** False from a disconnect until the client has reconnected, and for good once closed. */
  connected(): boolean;
}

export function watchNatsLiveness(nc: NatsConnection): NatsLiveness {
  let up = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" || status.type === "close") up = false;
      else if (status.type === "reconnect") up = true;
    }
  })();
  return { connected: () => up && !nc.isClosed() };
}
