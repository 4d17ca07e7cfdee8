/**
 * Pause / terminate requests for instances, heard on `kiln.control.>` so a running activation can stop
 * without polling the instance record: at its next step boundary (pause), or at once through a
 * listener that kills its sandbox (terminate).
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { Keys, Subjects, type ControlMessage, type ControlRequest, type InstanceRef } from "../contract/mod.ts";
import { decodeJson } from "../infra/json-codec.ts";

export class ControlBoard {
  private readonly requests = new Map<string, ControlRequest>();
  private readonly listeners = new Map<string, (control: ControlRequest) => void>();
  private subscription: Subscription | undefined;

  listen(nc: NatsConnection): void {
    this.subscription = nc.subscribe(Subjects.controlAll, {
      callback: (error, message) => {
        if (error) return;
        try {
          const { tenant, workflow, instance, control } = decodeJson<ControlMessage>(message.data);
          const key = Keys.instance({ tenant, workflow, instance });
          this.requests.set(key, control);
          this.listeners.get(key)?.(control);
        } catch {
          // A malformed control message cannot name an instance; nothing to apply.
        }
      },
    });
  }

  /** The latest request for an instance since `clear`, if any. */
  get(ref: InstanceRef): ControlRequest | undefined {
    return this.requests.get(Keys.instance(ref));
  }

  /** Calls `listener` on every request for the instance until the returned function is called. */
  onRequest(ref: InstanceRef, listener: (control: ControlRequest) => void): () => void {
    const key = Keys.instance(ref);
    this.listeners.set(key, listener);
    return () => {
      if (this.listeners.get(key) === listener) this.listeners.delete(key);
    };
  }

  clear(ref: InstanceRef): void {
    this.requests.delete(Keys.instance(ref));
  }

  close(): void {
    this.subscription?.unsubscribe();
  }
}
