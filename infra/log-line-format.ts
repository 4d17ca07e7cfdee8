/**
 * A compact one-line text form of a pino JSON record, for people reading a terminal (`npm run dev`):
 * `06:01:02.123 WARN  executor executor-1a2b3c4d could not … tenant=acme instance=x1`. Written here
 * instead of using pino-pretty to add no dependency; production keeps the JSON.
 */
const SHOWN_FIRST = new Set(["level", "time", "msg", "service", "executor"]);

const scalar = (value: unknown): string => (typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value));

export function formatPrettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === "string" ? record.time.slice(11, 23) : "";
  const level = (typeof record.level === "string" ? record.level : "").toUpperCase().padEnd(5);
  const who = [record.service, record.executor].filter((part) => typeof part === "string").join(" ");
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_FIRST.has(key) && key !== "err")
    .map(([key, value]) => `${key}=${scalar(value)}`);
  const err = record.err as { stack?: string; message?: string } | undefined;
  const trailer = err ? `\n${err.stack ?? err.message ?? JSON.stringify(err)}` : "";
  return `${[time, level, who, typeof record.msg === "string" ? record.msg : "", ...fields].filter(Boolean).join(" ")}${trailer}\n`;
}
