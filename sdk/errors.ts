/**
 * Errors tenants throw or catch. They are recognised across the sandbox boundary by `name`, never by
 * `instanceof`, because the host sees only serialized errors.
 */

/** Thrown from a step body to fail the step at once, without further retries. */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
  constructor(message: string, name?: string) {
    super(message);
    if (name !== undefined) this.name = name;
  }
}

/** Replay reached a step that does not match the journal: the code changed or is not deterministic. */
export class NonDeterminismError extends Error {
  override name = "NonDeterminismError";
}

/** A step was used in a way the engine cannot record (nested step, result not JSON, too large…). */
export class StepUsageError extends Error {
  override name = "StepUsageError";
}

/** `waitForEvent` reached its timeout before a matching event arrived. */
export class WaitForEventTimeoutError extends Error {
  override name = "WaitForEventTimeoutError";
}

export function isNonRetryable(error: unknown): boolean {
  return error instanceof NonRetryableError || (typeof error === "object" && error !== null && (error as { name?: unknown }).name === "NonRetryableError");
}

/** `fetch()` was called outside a step body, where its answer would not be recorded. */
export class FetchOutsideStepError extends Error {
  override name = "FetchOutsideStepError";
  constructor() {
    super(
      "fetch() is only allowed inside a step body: wrap the call in step.do(name, async () => …) so its result is recorded once and replayed, not fetched again",
    );
  }
}
