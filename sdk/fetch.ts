/**
 * The standard global `fetch` inside tenant code: the `kiln:workflow/http` capability. Allowed only in
 * a step body, whose result is recorded and replayed, so a replay never calls out again. The request
 * leaves through the host, which enforces the tenant's egress allow-list and limits; every refusal or
 * failure rejects with a `TypeError` (as a failed `fetch` does elsewhere) naming the host and the
 * reason, so the step's retry policy applies.
 */
import { FetchOutsideStepError } from "./errors.ts";
import { hostFetch, type HttpError } from "./host.ts";

export interface FetchGate {
  /** True while a step body runs. */
  readonly insideStepBody: boolean;
}

let gate: FetchGate | undefined;

export function useFetchGate(activationGate: FetchGate): void {
  gate = activationGate;
}

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The error a failed `fetch` rejects with: a `TypeError`, as in browsers, Node and Workers, with a code. */
function fetchFailure(error: HttpError): TypeError {
  const failure = new TypeError(error.val);
  Object.defineProperty(failure, "code", { value: `fetch_${error.tag.replace("-", "_")}`, enumerable: false });
  return failure;
}

async function kilnFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  if (!gate?.insideStepBody) throw new FetchOutsideStepError();
  const request = new Request(input, init);
  if (request.signal?.aborted) throw request.signal.reason ?? new DOMException("the request was aborted", "AbortError");
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : new Uint8Array(await request.arrayBuffer());
  const headers: Array<[string, string]> = [];
  request.headers.forEach((value, name) => headers.push([name, value]));
  const outcome = hostFetch({ method: request.method, url: request.url, headers, body: body?.byteLength ? body : undefined, timeoutMs: undefined });
  if (!outcome.ok) throw fetchFailure(outcome.error);
  const { status, statusText, headers: responseHeaders, body: responseBody, url, redirected } = outcome.response;
  const response = new Response(NULL_BODY_STATUSES.has(status) || request.method === "HEAD" ? null : (responseBody as Uint8Array<ArrayBuffer>), {
    status,
    statusText,
    headers: responseHeaders,
  });
  // `url` and `redirected` are read-only getters on Response.prototype; the instance's own say where it came from.
  Object.defineProperty(response, "url", { value: url });
  Object.defineProperty(response, "redirected", { value: redirected });
  return response;
}

/** Replaces the global `fetch` (which traps in a component built without WASI http) once per component. */
export function installFetch(): void {
  globalThis.fetch = kilnFetch;
}
