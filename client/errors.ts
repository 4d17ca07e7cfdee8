/**
 * What a client call can fail with, grouped by what the caller should do. Each carries a stable
 * `code`; recognise them with the `is…` functions (by `name` and `code`), not `instanceof`, since a
 * second copy of this module (a bundle, a worker) makes a different class.
 */
import type { CompileDiagnostic, ErrorCode, InstanceStatus, SerializedError } from "../contract/mod.ts";

/**
 * The API answered with an error: `status` is the HTTP status, `code` the API's stable code
 * (`not_found`, `conflict`, `create_rate_exceeded`, …). `retryAfterMs` is set when the gateway says
 * when to try again (429, 503); without it, sending the same request again will fail the same way.
 */
export class KilnApiError extends Error {
  override name = "KilnApiError";
  constructor(
    readonly status: number,
    readonly code: ErrorCode | (string & {}),
    message: string,
    readonly retryAfterMs?: number,
    /** Any other fields of the error body (e.g. `limitBytes` of a 413). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** A deploy the compiler refused (422): `diagnostics` lists every problem, with file, line and column. */
export class KilnCompileError extends KilnApiError {
  override name = "KilnCompileError";
  constructor(
    code: string,
    message: string,
    readonly diagnostics: readonly CompileDiagnostic[],
  ) {
    super(422, code, message);
  }
}

/** `result()` of an instance that ended without an output: `errored` (with its `error`) or `terminated`. */
export class KilnInstanceError extends Error {
  override name = "KilnInstanceError";
  readonly code = "instance_failed";
  constructor(
    readonly instance: string,
    readonly status: InstanceStatus,
    /** The instance's own error, as its status shows it; absent for a terminated instance. */
    readonly error?: SerializedError,
  ) {
    super(error ? `instance '${instance}' ${status}: ${error.name}: ${error.message}` : `instance '${instance}' ${status} without an output`);
  }
}

/** `result({ timeoutMs })` gave up waiting; the instance itself goes on. */
export class KilnTimeoutError extends Error {
  override name = "KilnTimeoutError";
  readonly code = "timeout";
  constructor(
    readonly instance: string,
    readonly timeoutMs: number,
    /** The status last seen. */
    readonly status: InstanceStatus | undefined,
  ) {
    super(`instance '${instance}' did not finish within ${timeoutMs} ms (last status: ${status ?? "unknown"}); it goes on, ask again later`);
  }
}

const named = (value: unknown, name: string): boolean => typeof value === "object" && value !== null && (value as { name?: unknown }).name === name;

export const isKilnApiError = (value: unknown): value is KilnApiError =>
  named(value, "KilnApiError") || named(value, "KilnCompileError") || value instanceof KilnApiError;
export const isKilnCompileError = (value: unknown): value is KilnCompileError => named(value, "KilnCompileError") || value instanceof KilnCompileError;
export const isKilnInstanceError = (value: unknown): value is KilnInstanceError => named(value, "KilnInstanceError") || value instanceof KilnInstanceError;
export const isKilnTimeoutError = (value: unknown): value is KilnTimeoutError => named(value, "KilnTimeoutError") || value instanceof KilnTimeoutError;
