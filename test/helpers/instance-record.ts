/** An instance record for tests of pure decisions and stores: queued, generation 0, with `overrides`. */
import type { InstanceRecord } from "../../contract/mod.ts";

export function instanceRecord(overrides: Partial<InstanceRecord> & { createdAt: number }): InstanceRecord {
  return {
    v: 1,
    tenant: "acme",
    workflow: "wf",
    version: "v1",
    id: "i1",
    status: "queued",
    params: {},
    updatedAt: overrides.createdAt,
    generation: 0,
    activations: 0,
    ...overrides,
  };
}
