/**
 * The services' own log lines (not tenants' lines, which go to NATS subjects): pino, one JSON object
 * per line on stderr, with `level` as a name, an ISO `time`, the `service` and, where they apply,
 * `tenant`, `workflow`, `instance`, `executor`. `KILN_LOG_FORMAT=pretty` (what `npm run dev` sets)
 * prints the same records as compact one-line text instead; `KILN_LOG_LEVEL` picks the least level
 * written (default `info`).
 *
 *   const log = serviceLogger("executor").child({ executor: id });
 *   log.warn({ tenant }, "could not give back the slot");
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { formatPrettyLine } from "./log-line-format.ts";

export type { Logger };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "pretty";

export interface LogSettings {
  /** @default "info" */
  readonly level: LogLevel;
  /** @default "json" */
  readonly format: LogFormat;
}

/** Reads `KILN_LOG_LEVEL` and `KILN_LOG_FORMAT`, quoting a bad value. */
export function loadLogSettings(env: Record<string, string | undefined>): LogSettings {
  const level = env.KILN_LOG_LEVEL || "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`KILN_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got '${level}'`);
  const format = env.KILN_LOG_FORMAT || "json";
  if (format !== "json" && format !== "pretty") throw new Error(`KILN_LOG_FORMAT must be json or pretty, got '${format}'`);
  return { level: level as LogLevel, format };
}

/**
 * Written through process.stderr rather than pino's own file destination: it behaves the same on
 * Node and Deno, and stdout stays free for what a command prints for people (the dev banner).
 */
function destination(format: LogFormat): DestinationStream {
  return { write: (line: string) => void process.stderr.write(format === "pretty" ? formatPrettyLine(line) : line) };
}

function build(settings: LogSettings): Logger {
  return pino(
    {
      level: settings.level,
      // Level names and ISO times read without a lookup table; the pid and hostname come from the orchestrator.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      base: undefined,
    },
    destination(settings.format),
  );
}

let root: Logger = build(loadLogSettings(process.env));

/** Replaces the settings of every logger made from now on (each service's main.ts, dev). */
export function configureLogging(settings: LogSettings): void {
  root = build(settings);
}

/** The logger of a part both services share (the quota store, say), named in `component`. */
export function componentLogger(component: string): Logger {
  return root.child({ component });
}

/** The logger of one service; add ids with `.child({ … })`. */
export function serviceLogger(service: string): Logger {
  return root.child({ service });
}
