/** Human durations ("30 seconds", "5 minutes", "1 day") at the edge, milliseconds inside. */

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  ms: 1,
  second: 1_000,
  sec: 1_000,
  s: 1_000,
  minute: 60_000,
  min: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  d: 86_400_000,
  week: 604_800_000,
  w: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
  y: 31_536_000_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/i;

/** A duration as milliseconds (a non-negative finite number) or text such as "2 hours" or "10s". */
export type Duration = number | string;

export class InvalidDurationError extends Error {
  override name = "InvalidDurationError";
}

/** Parses a duration into whole milliseconds; throws `InvalidDurationError` quoting the bad value. */
export function parseDuration(value: unknown): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  } else if (typeof value === "string") {
    const match = DURATION.exec(value);
    const unit = match?.[2]?.toLowerCase();
    const unitMs = unit === undefined ? undefined : (UNIT_MS[unit] ?? UNIT_MS[unit.replace(/s$/, "")]);
    if (match && unitMs !== undefined) return Math.round(Number(match[1]) * unitMs);
  }
  throw new InvalidDurationError(`invalid duration: '${String(value)}' (use milliseconds or text such as "30 seconds", "5 minutes", "1 day")`);
}
