/**
 * An in-memory engine that answers a guest's `engine.call`s without NATS: every step runs once and
 * commits at once. For driving a real component directly (compile test, sandbox tests, micro-bench).
 */
import type { ActivationRequest, EngineRequest, EngineResponse } from "../../contract/protocol.ts";

export function trivialEngine(request: EngineRequest): EngineResponse {
  switch (request.op) {
    case "step":
      return { action: "run", attempt: 1 };
    case "commit":
      return { action: "continue", completedAt: Date.now() };
    case "now":
      return { action: "now", now: Date.now() };
    default:
      return { action: "reject", error: { name: "Error", message: `unexpected op ${request.op}` } };
  }
}

/** An activation of a new instance (empty journal) of `workflow` with `params`. */
export function firstActivation(workflow: string, params: unknown): string {
  const now = Date.now();
  const request: ActivationRequest = { v: 1, instanceId: "i-1", workflow, params, createdAt: now, now, journal: [], seed: "seed", env: {} };
  return JSON.stringify(request);
}
