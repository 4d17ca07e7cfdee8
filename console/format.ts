/** How times, durations and values read on the page. */

/** `850 ms`, `1.5 s`, `2 min 5 s`, `3 h 10 min`, `2 d 4 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, "")} s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  if (ms < 3_600_000) return pair(Math.floor(ms / 60_000), "min", Math.floor((ms % 60_000) / 1_000), "s");
  if (ms < 86_400_000) return pair(Math.floor(ms / 3_600_000), "h", Math.floor((ms % 3_600_000) / 60_000), "min");
  return pair(Math.floor(ms / 86_400_000), "d", Math.floor((ms % 86_400_000) / 3_600_000), "h");
}

/** An API time (ISO 8601) in the reader's own time zone, to the second. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** A value the API returned, as indented JSON (strings too, so `"text"` and `text` stay apart). */
export function formatJson(value: unknown): string {
  // JSON.stringify answers undefined only for functions and symbols, which JSON from the API never holds.
  return value === undefined ? "—" : (JSON.stringify(value, null, 2) ?? "—");
}

/** A version id is a long hash: its first characters tell versions apart on screen. */
export const shortVersion = (version: string): string => version.slice(0, 12);
