/** Reading request bodies with size limits and clear 4xx answers. */
import type { Context } from "hono";
import { ErrorCode } from "../contract/mod.ts";
import { HttpError, badRequest } from "./errors.ts";

/**
 * The body, at most `maxBytes` of it. Read as a stream and stopped at the limit: a chunked body
 * declares no length, and buffering all of one before measuring it would let a client fill the
 * gateway's memory.
 */
export async function readBytes(c: Context, maxBytes: number, what: string): Promise<Uint8Array> {
  const length = c.req.header("content-length");
  const declared = Number(length ?? "0");
  if (declared > maxBytes) throw tooLarge(what, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Only a body of declared length: Node's parser hands over exactly that many bytes, so the limit
  // checked above holds; a chunked one is read (and cut off) as a web stream.
  const incoming = length === undefined ? undefined : nodeRequest(c);
  if (incoming) {
    for await (const chunk of incoming) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(what, maxBytes);
      chunks.push(chunk);
    }
  } else {
    const body = c.req.raw.body;
    if (body === null) return new Uint8Array(0);
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(what, maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * The Node request @hono/node-server serves (on Node, and on Deno's node:http) carries in
 * `c.env.incoming`. Read directly, it spares the web `Request` and `ReadableStream` the adapter
 * builds around it the first time a body is read: ~160 µs of the gateway's main thread per
 * create in the 32-clients bench (`--cpu-prof`). `undefined` under any other host: the web body.
 */
function nodeRequest(c: Context): AsyncIterable<Uint8Array> | undefined {
  const incoming: unknown = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return typeof incoming === "object" && incoming !== null && Symbol.asyncIterator in incoming ? (incoming as AsyncIterable<Uint8Array>) : undefined;
}

export async function readText(c: Context, maxBytes: number, what: string): Promise<string> {
  const bytes = await readBytes(c, maxBytes, what);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest(`${what} is not valid UTF-8 text`);
  }
}

/**
 * A JSON body, sent as `application/json` (or a `+json` type); an empty body reads as `fallback`
 * when one is given, whatever its content type. Anything else declared is a 415: text sent by
 * mistake (curl's `-d` sends form data) is refused rather than guessed at.
 */
export async function readJson(c: Context, maxBytes: number, what: string, fallback?: unknown): Promise<unknown> {
  const text = await readText(c, maxBytes, what);
  if (text.trim() === "" && fallback !== undefined) return fallback;
  const type = mediaType(c);
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new HttpError(
      415,
      ErrorCode.unsupportedMediaType,
      `${what} is JSON: send it with 'content-type: application/json' (it came as '${type || "no content type"}')`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(what: string, maxBytes: number): HttpError {
  return new HttpError(413, ErrorCode.payloadTooLarge, `${what} is larger than the limit of ${maxBytes} bytes: send a smaller one`, { limitBytes: maxBytes });
}

export function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}
