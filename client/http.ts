/**
 * One request to the gateway, and the one place its answers become values or `KilnApiError`s.
 * `fetch` only, so the client runs on Node, Deno and in browsers.
 */
import type { ApiErrorBody } from "../contract/mod.ts";
import { KilnApiError, KilnCompileError } from "./errors.ts";

/** A request body: text and bytes go as they are (with `contentType`), anything else as JSON. */
export type RequestBody = string | Uint8Array | object | null;

export interface RequestOptions {
  body?: RequestBody | undefined;
  /** @default "application/json" for JSON bodies; none for bytes unless given */
  contentType?: string | undefined;
  headers?: Record<string, string> | undefined;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  signal?: AbortSignal | undefined;
}

/** An answer as it came, for callers that look at any status themselves. */
export interface RawAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON; the text when it is not JSON; undefined when empty. */
  body: T;
}

export interface Transport {
  readonly url: string;
  readonly token: string | undefined;
  /** The response as it came: nothing read, nothing thrown for an error status. */
  send(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** Sends and reads the whole answer, whatever its status. */
  raw<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<RawAnswer<T>>;
  /** Sends and answers the body of a 2xx; any other status throws `KilnApiError`. */
  call<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Sends and answers the open response of a 2xx (a stream); any other status throws `KilnApiError`. */
  open(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

export interface TransportOptions {
  /** The gateway, e.g. `http://localhost:8787` (a trailing slash is fine). */
  url: string;
  /** A bearer token: a tenant's or the platform admin's. None sends no `Authorization`. */
  token?: string | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

export function createTransport(options: TransportOptions): Transport {
  const url = options.url.replace(/\/+$/, "");
  // Bound late, so a test's stub of globalThis.fetch (or a polyfill loaded later) is honoured.
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  const send = (method: string, path: string, request: RequestOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) };
    let body: BodyInit | undefined;
    if (request.body !== undefined) {
      if (typeof request.body === "string") {
        body = request.body;
        headers["content-type"] = request.contentType ?? "application/json";
      } else if (request.body instanceof Uint8Array) {
        body = request.body as Uint8Array<ArrayBuffer>;
        if (request.contentType !== undefined) headers["content-type"] = request.contentType;
      } else {
        body = JSON.stringify(request.body);
        headers["content-type"] = request.contentType ?? "application/json";
      }
    }
    Object.assign(headers, request.headers);
    return doFetch(`${url}${path}${queryString(request.query)}`, { method, headers, ...(body === undefined ? {} : { body }), signal: request.signal ?? null });
  };

  const raw = async <T>(method: string, path: string, request?: RequestOptions): Promise<RawAnswer<T>> => {
    const response = await send(method, path, request);
    return { status: response.status, headers: response.headers, body: (await readBody(response)) as T };
  };

  return {
    url,
    token: options.token,
    send,
    raw,
    async call<T>(method: string, path: string, request?: RequestOptions): Promise<T> {
      const answer = await raw<T>(method, path, request);
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      throw apiError(answer.status, answer.headers, answer.body, `${method} ${path}`);
    },
    async open(method: string, path: string, request?: RequestOptions): Promise<Response> {
      const response = await send(method, path, request);
      if (response.ok) return response;
      throw apiError(response.status, response.headers, await readBody(response), `${method} ${path}`);
    },
  };
}

function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The error an answer stands for. The gateway always sends `{ error: { code, message } }`; anything
 * else (a proxy's HTML page, an empty 502) still becomes a `KilnApiError`, with a code from its status.
 */
export function apiError(status: number, headers: Headers, body: unknown, what: string): KilnApiError {
  const error = isErrorBody(body) ? body.error : undefined;
  const { code, message, retryAfterMs, ...details } = error ?? { code: codeOfStatus(status), message: `${what} answered ${status}${describe(body)}` };
  if (status === 422 && isErrorBody(body) && Array.isArray(body.errors)) return new KilnCompileError(String(code), String(message), body.errors);
  return new KilnApiError(status, String(code), String(message), typeof retryAfterMs === "number" ? retryAfterMs : retryAfterHeader(headers), details);
}

const isErrorBody = (body: unknown): body is ApiErrorBody =>
  typeof body === "object" && body !== null && typeof (body as { error?: { code?: unknown } }).error?.code === "string";

/** `Retry-After` in seconds (the only form the gateway sends), as milliseconds. */
function retryAfterHeader(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  return value !== null && /^[0-9]+$/.test(value) ? Number(value) * 1_000 : undefined;
}

const describe = (body: unknown) => (body === undefined ? "" : `: ${(typeof body === "string" ? body : JSON.stringify(body)).slice(0, 200)}`);

function codeOfStatus(status: number): string {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "too_many_requests";
  if (status === 503 || status === 502 || status === 504) return "unavailable";
  return status >= 500 ? "internal" : "bad_request";
}
