/**
 * Pause / terminate requests for instances, heard on `kiln.control.>` so a running activation can stop
 * without polling the instance record: at its next step boundary (pause), or at once through a
 * listener that kills its sandbox (terminate).
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { Subjects, type ControlRequest } from "../contract/mod.ts";
import { decodeJson } from "../infra/json-codec.ts";

export interface ControlMessage {
  tenant: string;
  instance: string;
  control: ControlRequest;
}

export class ControlBoard {
  private readonly requests = new Map<string, ControlRequest>();
  private readonly listeners = new Map<string, (control: ControlRequest) => void>();
  private subscription: Subscription | undefined;

  listen(nc: NatsConnection): void {
    this.subscription = nc.subscribe(Subjects.controlAll, {
      callback: (error, message) => {
        if (error) return;
        try {
          const { tenant, instance, control } = decodeJson<ControlMessage>(message.data);
          const key = `${tenant}.${instance}`;
          this.requests.set(key, control);
          this.listeners.get(key)?.(control);
        } catch {
          // A malformed control message cannot name an instance; nothing to apply.
        }
      },
    });
  }

  /** The latest request for an instance since `clear`, if any. */
  get(tenant: string, instance: string): ControlRequest | undefined {
    return this.requests.get(`${tenant}.${instance}`);
  }

  /** Calls `listener` on every request for the instance until the returned function is called. */
  onRequest(tenant: string, instance: string, listener: (control: ControlRequest) => void): () => void {
    const key = `${tenant}.${instance}`;
    this.listeners.set(key, listener);
    return () => {
      if (this.listeners.get(key) === listener) this.listeners.delete(key);
    };
  }

  clear(tenant: string, instance: string): void {
    this.requests.delete(`${tenant}.${instance}`);
  }

  close(): void {
    this.subscription?.unsubscribe();
  }
}
