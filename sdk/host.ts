/** The guest's view of the WIT imports; the only place the SDK touches them. */
// @ts-expect-error resolved by componentize-js against wit/workflow.wit, not by TypeScript
import { call } from "kiln:workflow/engine@0.2.0";
// @ts-expect-error resolved by componentize-js against wit/workflow.wit, not by TypeScript
import { fetch as httpFetch } from "kiln:workflow/http@0.2.0";
// @ts-expect-error resolved by componentize-js against wit/workflow.wit, not by TypeScript
import { log } from "kiln:workflow/logging@0.2.0";
import type { EngineRequest, EngineResponse } from "../contract/protocol.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export function engineCall(request: EngineRequest): EngineResponse {
  return JSON.parse((call as (request: string) => string)(JSON.stringify(request))) as EngineResponse;
}

export function hostLog(level: LogLevel, message: string): void {
  (log as (level: LogLevel, message: string) => void)(level, message);
}

/** `kiln:workflow/http` `request`, as componentize-js maps the record. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
  timeoutMs: number | undefined;
}

/** `kiln:workflow/http` `response`. */
export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  url: string;
  redirected: boolean;
}

/** `kiln:workflow/http` `http-error`: which case, and its message. */
export interface HttpError {
  tag: "refused" | "timeout" | "too-large" | "invalid" | "failed";
  val: string;
}

/**
 * One outbound request; blocks until the host has the whole response. componentize-js throws the
 * `err` case of a `result` as a `ComponentError` whose `payload` is the variant value.
 */
export function hostFetch(request: HttpRequest): { ok: true; response: HttpResponse } | { ok: false; error: HttpError } {
  try {
    return { ok: true, response: (httpFetch as (request: HttpRequest) => HttpResponse)(request) };
  } catch (thrown) {
    const payload = (thrown as { payload?: unknown } | undefined)?.payload ?? thrown;
    const { tag, val } = Object(payload) as Partial<HttpError>;
    if (typeof tag === "string" && typeof val === "string") return { ok: false, error: { tag, val } };
    return { ok: false, error: { tag: "failed", val: `the host's answer could not be read: ${String(thrown)}` } };
  }
}
