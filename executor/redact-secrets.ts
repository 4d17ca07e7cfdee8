/**
 * Tenant secret values out of what leaves the executor: published log lines (the tenant's `console.*`
 * output and engine lines) and recorded error messages (failed step attempts, the instance's error).
 *
 * Only exact occurrences are caught: a secret that tenant code transforms (base64, URL-encoding,
 * slicing) before printing it passes through. And a tenant's own step output is its data, never
 * touched: redacting it would change what replay returns.
 */
import type { SerializedError } from "../contract/mod.ts";

/** What a secret value becomes. */
export const REDACTED = "***";

/**
 * Values shorter than this are left alone: replacing every `1`, `yes` or `eu` in every log line would
 * make logs unreadable while protecting nothing (a 3-character secret is guessable anyway).
 */
export const REDACT_MIN_CHARS = 4;

/** `text` with every occurrence of each secret value (of at least REDACT_MIN_CHARS) replaced by `***`. */
export function redactSecrets(text: string, secretValues: Iterable<string>): string {
  return replaceEach(text, redactable(secretValues));
}

/** A redactor bound to one tenant's secrets, for the lines and errors of one activation. */
export function secretRedactor(secrets: Readonly<Record<string, string>>): (text: string) => string {
  const values = redactable(Object.values(secrets));
  return values.length === 0 ? (text) => text : (text) => replaceEach(text, values);
}

/** Longest first: a secret that contains another is replaced whole, not left half-masked. */
function redactable(secretValues: Iterable<string>): string[] {
  return [...new Set(secretValues)].filter((value) => value.length >= REDACT_MIN_CHARS).sort((a, b) => b.length - a.length);
}

function replaceEach(text: string, values: readonly string[]): string {
  let redacted = text;
  for (const value of values) if (redacted.includes(value)) redacted = redacted.split(value).join(REDACTED);
  return redacted;
}

/** The error with its message and stack redacted (the stack repeats the message). */
export function redactError(error: SerializedError, redact: (text: string) => string): SerializedError {
  const message = redact(error.message);
  const stack = error.stack === undefined ? undefined : redact(error.stack);
  if (message === error.message && stack === error.stack) return error;
  return { ...error, message, ...(stack === undefined ? {} : { stack }) };
}
