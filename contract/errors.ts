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
  /** The version's compiled artifact is gone from the artifact store. */
  artifactMissing: "artifact_missing",
  /** The version's compiled artifact does not decode or compile. */
  artifactInvalid: "artifact_invalid",
  /** Tenant code asked for more than the tenant's settings allow (e.g. `limits.stepTimeoutMaxMs`). */
  limitExceeded: "limit_exceeded",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error as stored in records and shown to tenants: plain data, no class identity. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set on errors of the platform rather than of tenant code. */
  code?: ErrorCode;
}

/**
 * What to do about a failure of the platform (not of tenant code), decided where the failure is
 * understood: try the same work again after a while, or fail the instance with this error.
 */
export type Recovery = { readonly do: "retry"; readonly retryAfterMs: number } | { readonly do: "fail" };

/**
 * A failure of the platform with a stable `code` and the recovery it calls for. Recognised by
 * `name` and `code` where it crosses a boundary, so it survives serialisation.
 */
export class PlatformError extends Error {
  override name = "PlatformError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly recovery: Recovery,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Turns anything thrown into an `Error`, so every boundary handles one shape. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "object" && value !== null && "message" in value) {
    const error = new Error(String(value.message));
    if ("name" in value) error.name = String(value.name);
    return error;
  }
  return new Error(typeof value === "string" ? value : JSON.stringify(value));
}

export function serializeError(value: unknown): SerializedError {
  const error = ensureError(value);
  return error.stack === undefined ? { name: error.name, message: error.message } : { name: error.name, message: error.message, stack: error.stack };
}
