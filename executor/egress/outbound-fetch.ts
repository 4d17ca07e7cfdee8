/**
 * One `fetch` on behalf of a tenant: validates the request, checks every hop against the egress
 * policy (the URL before sending, each resolved address at connect time), follows redirects by hand
 * so each one is checked again, and enforces the bounds. Never throws: every refusal or failure is an
 * `HttpError` whose message names the host and the reason.
 */
import { parseAllowList } from "./allow-list.ts";
import { addressRefusal, checkUrl, hostLabel, refusalMessage } from "./egress-policy.ts";
import { EgressRefusedError, guardedLookup, systemResolver, type Resolver } from "./guarded-lookup.ts";
import type { HttpError, HttpResponseHead } from "./http-wire.ts";
import { BodyTooLargeError, sendHop, type HopResponse } from "./send-hop.ts";

/** @default 1 MiB, as the design says. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
/** Redirects followed before giving up (browsers follow 20; 10 is plenty for an API). */
export const MAX_REDIRECTS = 10;

export interface OutboundRequest {
  method: string;
  url: string;
  headers: ReadonlyArray<readonly [string, string]>;
  body: Uint8Array | undefined;
}

export interface OutboundOptions {
  /** The tenant's `egress.allow` entries. */
  allow: readonly string[];
  responseLimitBytes: number;
  /** The whole call, redirects included. */
  timeoutMs: number;
  /** @default the system resolver */
  resolve?: Resolver;
  /** Stops the call early: the activation ended (terminate, step timeout, shutdown). */
  signal?: AbortSignal;
}

export type OutboundResult = { ok: true; head: HttpResponseHead; body: Uint8Array } | { ok: false; error: HttpError };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);
/** Headers the host writes itself: framing and connection management are not the tenant's to set. */
const HOST_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer",
  "expect",
]);
/** Credentials that must not follow a redirect to another origin (as browsers and undici do). */
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = "Kiln-Workflows/0.2";

const fail = (tag: HttpError["tag"], val: string): OutboundResult => ({ ok: false, error: { tag, val } });

/** The request as it will be sent, or why it cannot be. */
function normalize(request: OutboundRequest): { method: string; url: URL; headers: Array<[string, string]> } | OutboundResult {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return fail("invalid", `fetch refused: '${request.url.slice(0, 200)}' is not an absolute URL`);
  }
  const upper = request.method.toUpperCase();
  const method = NORMALIZED_METHODS.has(upper) ? upper : request.method;
  if (!TOKEN.test(method)) return fail("invalid", `fetch to '${hostLabel(url)}' refused: '${method.slice(0, 40)}' is not a valid method`);
  if (FORBIDDEN_METHODS.has(upper)) return fail("invalid", `fetch to '${hostLabel(url)}' refused: the ${upper} method is not allowed`);
  if (request.body !== undefined && (method === "GET" || method === "HEAD")) {
    return fail("invalid", `fetch to '${hostLabel(url)}' refused: a ${method} request cannot have a body`);
  }
  if (request.body !== undefined && request.body.byteLength > MAX_REQUEST_BODY_BYTES) {
    return fail(
      "too-large",
      `fetch to '${hostLabel(url)}' refused: the request body is ${request.body.byteLength} bytes; the limit is ${MAX_REQUEST_BODY_BYTES}`,
    );
  }
  const headers: Array<[string, string]> = [];
  for (const [rawName, value] of request.headers) {
    const name = rawName.toLowerCase();
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value))
      return fail("invalid", `fetch to '${hostLabel(url)}' refused: the header '${rawName.slice(0, 60)}' is malformed`);
    if (!HOST_HEADERS.has(name)) headers.push([name, value]);
  }
  if (!headers.some(([name]) => name === "user-agent")) headers.push(["user-agent", USER_AGENT]);
  // What send-hop.ts can decode; a tenant that asks for something else gets the bytes as sent.
  if (!headers.some(([name]) => name === "accept-encoding")) headers.push(["accept-encoding", "gzip, deflate, br"]);
  return { method, url, headers };
}

function describeFailure(url: URL, error: unknown, signal: AbortSignal, timeoutMs: number, limitBytes: number): HttpError {
  const host = hostLabel(url);
  if (error instanceof EgressRefusedError) return { tag: "refused", val: refusalMessage(url, error.reason) };
  if (error instanceof BodyTooLargeError)
    return { tag: "too-large", val: `fetch to '${host}' failed: the response body is larger than ${limitBytes} bytes (limits.fetchResponseBytes)` };
  if (signal.aborted) return { tag: "timeout", val: `fetch to '${host}' timed out after ${timeoutMs} ms` };
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { tag: "failed", val: `fetch to '${host}' failed: the name does not resolve (${String(code)})` };
  if (code === "ECONNREFUSED") return { tag: "failed", val: `fetch to '${host}' failed: connection refused` };
  return { tag: "failed", val: `fetch to '${host}' failed: ${message}${typeof code === "string" && !message.includes(code) ? ` (${code})` : ""}` };
}

/** Performs the request; always resolves. */
export async function fetchOutbound(request: OutboundRequest, options: OutboundOptions): Promise<OutboundResult> {
  const normalized = normalize(request);
  if ("ok" in normalized) return normalized;
  const allow = parseAllowList(options.allow);
  const resolve = options.resolve ?? systemResolver;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop);
  if (options.signal?.aborted) stop();
  let { method, url, headers } = normalized;
  let body = request.body;
  try {
    for (let redirects = 0; ; redirects++) {
      const verdict = checkUrl(url, allow);
      if (!verdict.allowed) return fail("refused", refusalMessage(url, verdict.reason));
      const lookup = guardedLookup(resolve, (address) => addressRefusal(address, verdict.exact, verdict.destination));
      let response: HopResponse;
      try {
        response = await sendHop({ url, method, headers, body, lookup, signal: controller.signal });
      } catch (error) {
        return { ok: false, error: describeFailure(url, error, controller.signal, options.timeoutMs, options.responseLimitBytes) };
      }
      const location = response.headers.find(([name]) => name === "location")?.[1];
      if (REDIRECTS.has(response.status) && location !== undefined) {
        response.discard();
        if (redirects >= MAX_REDIRECTS) return fail("failed", `fetch to '${hostLabel(url)}' failed: more than ${MAX_REDIRECTS} redirects`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return fail("failed", `fetch to '${hostLabel(url)}' failed: it redirected to an invalid URL '${location.slice(0, 200)}'`);
        }
        // As fetch does: 303 turns into GET, and so do 301/302 after a POST; the body goes with the method.
        if (response.status === 303 ? method !== "HEAD" : (response.status === 301 || response.status === 302) && method === "POST") {
          method = "GET";
          body = undefined;
          headers = headers.filter(([name]) => !name.startsWith("content-"));
        }
        if (next.origin !== url.origin) headers = headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name));
        url = next;
        continue;
      }
      if (response.status < 200 || response.status > 599) {
        response.discard();
        return fail("failed", `fetch to '${hostLabel(url)}' failed: the server answered with the invalid status ${response.status}`);
      }
      let responseBody: Uint8Array;
      try {
        responseBody = await response.readBody(options.responseLimitBytes);
      } catch (error) {
        return { ok: false, error: describeFailure(url, error, controller.signal, options.timeoutMs, options.responseLimitBytes) };
      }
      const head: HttpResponseHead = {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        url: url.href,
        redirected: redirects > 0,
      };
      return { ok: true, head, body: responseBody };
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
}
