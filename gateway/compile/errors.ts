/** Errors of the compile pipeline; the gateway maps every `CompileError` to a 422 with `errors`. */
import type { CompileDiagnostic } from "../../contract/api.ts";

// One problem, as the 422 answer carries it: the contract's shape, which the client reads too.
export type { CompileDiagnostic };

/** Why a deploy was refused, stable for clients: see `ErrorCode` in contract/errors.ts. */
export const CompileErrorCode = {
  /** Syntax errors, missing files, an entry that exports nothing, a toolchain failure. */
  compileFailed: "compile_failed",
  /** The source imports something other than relative files and `kiln:workflow`. */
  forbiddenImport: "forbidden_import",
  /** An uploaded `application/wasm` is not a component, or it steps outside the world. */
  invalidComponent: "invalid_component",
} as const;
export type CompileErrorCode = (typeof CompileErrorCode)[keyof typeof CompileErrorCode];

/** A deploy that cannot be compiled; `errors` lists every problem found, not just the first. */
export class CompileError extends Error {
  override name = "CompileError";
  readonly code: CompileErrorCode;
  readonly errors: CompileDiagnostic[];

  constructor(code: CompileErrorCode, errors: CompileDiagnostic[], options?: { cause?: unknown }) {
    super(CompileError.summarize(errors), options);
    this.code = code;
    this.errors = errors;
  }

  private static summarize(errors: CompileDiagnostic[]): string {
    const first = errors[0];
    if (first === undefined) return "compile failed";
    const where = first.line > 0 ? `${first.file}:${first.line}:${first.column}: ` : first.file ? `${first.file}: ` : "";
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
    return `${where}${first.message}${more}`;
  }
}

/** Recognises a `CompileError` by name and code (it may cross a worker or module boundary). */
export function isCompileError(value: unknown): value is CompileError {
  return (
    value instanceof CompileError ||
    (typeof value === "object" &&
      value !== null &&
      (value as { name?: unknown }).name === "CompileError" &&
      Array.isArray((value as { errors?: unknown }).errors))
  );
}
