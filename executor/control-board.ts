/**
 * Pause / terminate requests for instances, heard on `kiln.control.>` so a running activation can stop
 * at its next step boundary without polling the instance record.
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
  private subscription: Subscription | undefined;

  listen(nc: NatsConnection): void {
    this.subscription = nc.subscribe(Subjects.controlAll, {
      callback: (error, message) => {
        if (error) return;
        try {
          const { tenant, instance, control } = decodeJson<ControlMessage>(message.data);
          this.requests.set(`${tenant}.${instance}`, control);
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

  clear(tenant: string, instance: string): void {
    this.requests.delete(`${tenant}.${instance}`);
  }

  close(): void {
    this.subscription?.unsubscribe();
  }
}
