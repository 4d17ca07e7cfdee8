/**
 * Clean exit on Ctrl-C / SIGTERM for the entry files (`scripts/dev.ts`, `gateway/main.ts`,
 * `executor/main.ts`): run the stop function once, exit 0 when it finishes, 1 when it fails.
 */

export interface ShutdownOptions {
  /**
   * Exit 1 if stopping takes longer than this (a hung drain must not keep a container alive).
   * @default 30_000
   */
  readonly deadlineMs?: number;
  /** @default console.error */
  readonly log?: (line: string) => void;
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM and exits when it settles. A second signal forces an
 * immediate exit, unless it arrives within a second of the first: npm, tsx and the terminal can each
 * deliver the same Ctrl-C, and one keypress must not turn into a forced exit.
 */
export function onShutdown(stop: () => Promise<void>, options: ShutdownOptions = {}): void {
  const log = options.log ?? ((line: string) => console.error(line));
  const deadlineMs = options.deadlineMs ?? 30_000;
  let firstSignalAt: number | undefined;

  const handle = (signal: NodeJS.Signals): void => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < 1_000) return;
      log(`${signal} again: exiting without finishing the shutdown`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log(`${signal}: shutting down (press Ctrl-C again to force)…`);
    setTimeout(() => {
      log(`shutdown did not finish within ${deadlineMs} ms; exiting`);
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
