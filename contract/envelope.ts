import { z } from "zod";
import { INSTANCE_ID, TENANT_NAME, WORKFLOW_NAME } from "./names.ts";

/** Why an envelope was enqueued. */
export const EnvelopeReason = {
  start: "start",
  wake: "wake",
  event: "event",
  retry: "retry",
  resume: "resume",
  restart: "restart",
} as const;
export type EnvelopeReason = (typeof EnvelopeReason)[keyof typeof EnvelopeReason];

export const ENVELOPE_VERSION = 1;

/**
 * What rides on `KILN_WORK`: enough to find the tenant's pinned code and the instance, nothing secret.
 * `attempt` counts how often this instance has been enqueued for this reason (diagnostics only).
 */
export const envelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  tenant: z.string().regex(TENANT_NAME),
  workflow: z.string().regex(WORKFLOW_NAME),
  version: z.string().min(1).max(128),
  instance: z.string().regex(INSTANCE_ID),
  reason: z.enum(["start", "wake", "event", "retry", "resume", "restart"]),
  attempt: z.number().int().nonnegative(),
  enqueuedAt: z.number().int().nonnegative(),
  /**
   * On a `start` queued before its instance record (see create-order.ts): the `createdAt` of the
   * record it starts, which tells that record from another create's of the same id. Absent on
   * every other message, and on starts queued after their record by gateways from before.
   */
  createdAt: z.number().int().nonnegative().optional(),
  /**
   * On a `resume` or `restart` queued before its record change (see lifecycle-order.ts): the KV
   * revision of the record it was decided from, which an executor applies it to if the gateway has
   * not yet; for a restart also the generation it starts, the steps it keeps from the last one and
   * the inbox sequence from which events are the new run's (those below it are purged).
   * Absent on every other message, and on those queued after their change by gateways from before.
   */
  change: z
    .object({
      fromRevision: z.number().int().positive(),
      generation: z.number().int().positive().optional(),
      keptSteps: z.number().int().nonnegative().optional(),
      eventsFrom: z.number().int().positive().optional(),
    })
    .optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

export class InvalidEnvelopeError extends Error {
  override name = "InvalidEnvelopeError";
}

/** Decodes and validates an envelope; a malformed one is an `InvalidEnvelopeError`, never a crash. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new InvalidEnvelopeError("envelope is not JSON", { cause: error });
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw new InvalidEnvelopeError(`invalid envelope: ${parsed.error.message}`);
  return parsed.data;
}
