/** The guest's view of the WIT imports; the only place the SDK touches them. */
// @ts-expect-error resolved by componentize-js against wit/workflow.wit, not by TypeScript
import { call } from "kiln:workflow/engine@0.1.0";
// @ts-expect-error resolved by componentize-js against wit/workflow.wit, not by TypeScript
import { log } from "kiln:workflow/logging@0.1.0";
import type { EngineRequest, EngineResponse } from "../contract/protocol.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export function engineCall(request: EngineRequest): EngineResponse {
  return JSON.parse((call as (request: string) => string)(JSON.stringify(request))) as EngineResponse;
}

export function hostLog(level: LogLevel, message: string): void {
  (log as (level: LogLevel, message: string) => void)(level, message);
}
