/**
 * What crosses the sandbox channel for one `kiln:workflow/http` `fetch`: the guest's request (parsed
 * here, since a hand-built component may send anything) and the host's answer. The response body
 * travels as raw bytes after the answer (see sandbox/channel.ts), never inside this JSON.
 */
import { z } from "zod";

/** The `http-error` cases of the WIT world. */
export const HttpErrorTag = { refused: "refused", timeout: "timeout", tooLarge: "too-large", invalid: "invalid", failed: "failed" } as const;
export type HttpErrorTag = (typeof HttpErrorTag)[keyof typeof HttpErrorTag];

/** The WIT `http-error` value: which case, and a message naming the host and the reason. */
export interface HttpError {
  tag: HttpErrorTag;
  val: string;
}

/** The WIT `response` record without its body. */
export interface HttpResponseHead {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  url: string;
  redirected: boolean;
}

export type HttpAnswer = { ok: true; response: HttpResponseHead } | { ok: false; error: HttpError };

/** The WIT `request` record, as jco lifts it and structured clone carries it. */
export const httpCallRequestSchema = z.object({
  method: z.string().min(1).max(32),
  url: z
    .string()
    .min(1)
    .max(16 * 1024),
  headers: z.array(z.tuple([z.string().max(1024), z.string().max(16 * 1024)])).max(256),
  body: z.instanceof(Uint8Array).optional(),
  timeoutMs: z.number().int().nonnegative().optional(),
});

export type HttpCallRequest = z.infer<typeof httpCallRequestSchema>;
