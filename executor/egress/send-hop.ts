/**
 * One HTTP exchange on a fresh connection (no pooled sockets: every connection goes through the guarded
 * lookup, and no socket is ever shared between tenants), with the response body read up to a limit and
 * decoded (gzip, deflate, br) as `fetch` does. Redirects are the caller's (outbound-fetch.ts).
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import zlib from "node:zlib";

export interface Hop {
  url: URL;
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
  lookup: LookupFunction;
  /** Aborts the exchange (the call's deadline). */
  signal: AbortSignal;
}

export interface HopResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** Reads the body, decoded, failing with `BodyTooLargeError` past `limitBytes`. */
  readBody(limitBytes: number): Promise<Uint8Array>;
  /** Drops the body unread (a redirect) and closes the connection. */
  discard(): void;
}

/** The response body is over the tenant's `limits.fetchResponseBytes`. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`the response body is larger than the limit of ${limitBytes} bytes (limits.fetchResponseBytes)`);
  }
}

function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

async function readLimited(response: http.IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes && response.headers["content-encoding"] === undefined) {
    response.destroy();
    throw new BodyTooLargeError(limitBytes);
  }
  const decoder = decoderFor(response.headers["content-encoding"]);
  const stream: Readable = decoder ? response.pipe(decoder) : response;
  if (decoder) response.on("error", (error) => decoder.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      // Stop reading here: the rest of an oversized body never enters memory.
      if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
      chunks.push(chunk);
    }
  } finally {
    response.destroy();
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Sends the request; resolves once the response head has arrived. Rejects with the socket's error. */
export function sendHop(hop: Hop): Promise<HopResponse> {
  const { url } = hop;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of hop.headers) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  if (hop.body !== undefined) headers["content-length"] = String(hop.body.byteLength);
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port === "" ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: hop.method,
        headers,
        ...(url.username !== "" ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
        agent: false,
        lookup: hop.lookup,
        signal: hop.signal,
      },
      (response) => {
        const bodyless = hop.method === "HEAD" || response.statusCode === 204 || response.statusCode === 304;
        const decoded = !bodyless && decoderFor(response.headers["content-encoding"]) !== undefined;
        const responseHeaders: Array<[string, string]> = [];
        for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
          const name = response.rawHeaders[i]!.toLowerCase();
          // The body handed on is decoded, so its encoding and length headers no longer describe it.
          if (decoded && (name === "content-encoding" || name === "content-length")) continue;
          responseHeaders.push([name, response.rawHeaders[i + 1]!]);
        }
        resolve({
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? "",
          headers: responseHeaders,
          readBody: (limitBytes) => (bodyless ? (response.destroy(), Promise.resolve(new Uint8Array(0))) : readLimited(response, limitBytes)),
          discard: () => response.destroy(),
        });
      },
    );
    request.on("error", reject);
    request.end(hop.body);
  });
}
