/**
 * Exit codes scripts can rely on, and the one error that means "the command line was wrong".
 * - 0: done; for `run --wait`, the instance completed.
 * - 1: the API refused (the error's `code` is printed), the gateway was unreachable, or the
 *   instance waited on ended `errored` or `terminated`.
 * - 2: usage: an unknown command or option, a missing argument, bad JSON in `--params`, not logged in.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {
  override name = "UsageError";
}
