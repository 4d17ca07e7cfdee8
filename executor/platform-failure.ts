/**
 * Turns whatever failed inside an activation on the platform's side into a `PlatformError` that says
 * what to do next: NATS trouble is retried after a short while; an artifact that is gone or broken
 * fails the instance at once (retrying cannot bring it back; a redeploy creates a new version).
 */
import { InvalidArtifactError } from "../contract/artifact.ts";
import { ensureError, ErrorCode, PlatformError } from "../contract/mod.ts";
import { isNatsUnavailable } from "../infra/errors.ts";
import { SandboxPoolClosedError } from "./sandbox/errors.ts";

/** After NATS trouble, try again after at least this long. */
const UNAVAILABLE_RETRY_MS = 1_000;

export function classifyPlatformFailure(failure: unknown): PlatformError {
  if (failure instanceof PlatformError) return failure;
  const error = ensureError(failure);
  if (isNatsUnavailable(error)) {
    return new PlatformError(
      ErrorCode.unavailable,
      `NATS is unavailable (${error.message})`,
      { do: "retry", retryAfterMs: UNAVAILABLE_RETRY_MS },
      { cause: error },
    );
  }
  if (error instanceof SandboxPoolClosedError) {
    return new PlatformError(ErrorCode.unavailable, error.message, { do: "retry", retryAfterMs: 0 }, { cause: error });
  }
  if (error instanceof InvalidArtifactError || error instanceof WebAssembly.CompileError) {
    return new PlatformError(
      ErrorCode.artifactInvalid,
      `the workflow version's compiled artifact is unusable (${error.message}); deploy the workflow again and create new instances`,
      { do: "fail" },
      { cause: error },
    );
  }
  return new PlatformError(ErrorCode.internal, `the executor failed: ${error.message}`, { do: "retry", retryAfterMs: UNAVAILABLE_RETRY_MS }, { cause: error });
}
