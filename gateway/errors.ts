/** The gateway's one HTTP error type; `app.onError` turns it (and everything else) into JSON. */
import { ErrorCode } from "../contract/mod.ts";

export type HttpStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: HttpStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, ErrorCode.badRequest, message);
export const notFound = (what: string) => new HttpError(404, ErrorCode.notFound, `${what} not found`);
export const conflict = (message: string) => new HttpError(409, ErrorCode.conflict, message);

/** A 429: `retryAfterMs` goes into the body and, in whole seconds, into the `Retry-After` header. */
export const tooManyRequests = (code: ErrorCode, message: string, retryAfterMs: number) => new HttpError(429, code, message, { retryAfterMs });
