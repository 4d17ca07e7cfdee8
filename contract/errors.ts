/** Stable error codes shared by the gateway's HTTP answers and the engine's records. */
export const ErrorCode = {
  badRequest: "bad_request",
  unauthorized: "unauthorized",
  notFound: "not_found",
  conflict: "conflict",
  compileFailed: "compile_failed",
  forbiddenImport: "forbidden_import",
  payloadTooLarge: "payload_too_large",
  unsupportedMediaType: "unsupported_media_type",
  unavailable: "unavailable",
  internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error as stored in records and shown to tenants: plain data, no class identity. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Turns anything thrown into an `Error`, so every boundary handles one shape. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "object" && value !== null && "message" in value) {
    const error = new Error(String((value as { message: unknown }).message));
    if ("name" in value) error.name = String((value as { name: unknown }).name);
    return error;
  }
  return new Error(typeof value === "string" ? value : JSON.stringify(value));
}

export function serializeError(value: unknown): SerializedError {
  const error = ensureError(value);
  return error.stack === undefined
    ? { name: error.name, message: error.message }
    : { name: error.name, message: error.message, stack: error.stack };
}
