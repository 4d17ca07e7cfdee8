/** Stable error codes shared by the gateway's HTTP answers and the engine's records. */
export const ErrorCode = {
  badRequest: "bad_request",
  unauthorized: "unauthorized",
  /** A valid token without the scope the route needs. */
  forbidden: "forbidden",
  notFound: "not_found",
  /** The path exists, but not with this method; the answer's `Allow` header lists the ones it has. */
  methodNotAllowed: "method_not_allowed",
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
  /** A create would take the tenant past `limits.maxInstances` instances that are not final. */
  tooManyInstances: "too_many_instances",
  /** A create came faster than `limits.createsPerSecond` allows. */
  createRateExceeded: "create_rate_exceeded",
  /** A component sent the engine something the activation protocol (contract/protocol.ts) does not allow. */
  protocolViolation: "protocol_violation",
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

/** An error's `message` and `stack` are cut to this many characters before they cross the sandbox boundary. */
export const MAX_ERROR_TEXT_LENGTH = 64 * 1024;
/** An error's `name` is cut to this many characters. */
export const MAX_ERROR_NAME_LENGTH = 256;

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

/**
 * A component broke the activation protocol: a malformed or forged `engine.call` request, or an
 * `activate` result outside the protocol. Terminal: the instance errors with it, since the same code
 * would send the same thing again. Recognised by `code` across boundaries.
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code = ErrorCode.protocolViolation;

  /** `what` names the message (e.g. `engine.call request`), `problem` says what was wrong with it. */
  constructor(what: string, problem: string, options?: ErrorOptions) {
    super(
      `the component sent an invalid ${what}: ${problem}. It does not speak the activation protocol ` +
        "(contract/protocol.ts): build it with the Kiln SDK, or fix what it sends; the instance cannot go on",
      options,
    );
  }

  toJSON(): SerializedError {
    return { name: this.name, message: this.message, code: this.code };
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

/** Plain data for a record or the wire; `message` and `stack` cut to `MAX_ERROR_TEXT_LENGTH`. */
export function serializeError(value: unknown): SerializedError {
  const error = ensureError(value);
  const name = cut(error.name, MAX_ERROR_NAME_LENGTH);
  const message = cut(error.message, MAX_ERROR_TEXT_LENGTH);
  return error.stack === undefined ? { name, message } : { name, message, stack: cut(error.stack, MAX_ERROR_TEXT_LENGTH) };
}

const cut = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
