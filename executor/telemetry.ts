/** What operators see: per-instance log lines and lifecycle events on per-tenant subjects. */
import type { NatsConnection } from "@nats-io/nats-core";
import { Subjects, type LifecycleEvent, type LogLine } from "../contract/mod.ts";
import { encodeJson } from "../infra/json-codec.ts";

// What the gateway serves and the client reads, so it is the contract's.
export type { LogLine };

/** Log lines longer than this are cut, so one chatty step cannot flood the subject. */
const MAX_LOG_LINE_CHARS = 16_384;

export class Telemetry {
  constructor(private readonly nc: NatsConnection) {}

  log(tenant: string, workflow: string, instance: string, line: LogLine): void {
    const message = line.message.length > MAX_LOG_LINE_CHARS ? `${line.message.slice(0, MAX_LOG_LINE_CHARS)}… (cut)` : line.message;
    this.nc.publish(Subjects.logs(tenant, workflow, instance), encodeJson({ ...line, message }));
  }

  lifecycle(
    tenant: string,
    workflow: string,
    instance: string,
    kind: string,
    detail: Pick<LifecycleEvent, "status" | "reason" | "executor" | "activation"> = {},
  ): void {
    const event: LifecycleEvent = { ts: Date.now(), kind, instance, workflow, ...detail };
    this.nc.publish(Subjects.events(tenant, workflow, instance, kind), encodeJson(event));
  }
}
