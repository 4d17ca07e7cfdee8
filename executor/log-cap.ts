/**
 * How much of a tenant's console output per activation reaches its log subject: at most
 * `limits.logLinesPerActivation` lines and `MAX_LOG_BYTES_PER_ACTIVATION` bytes. Past either, every
 * further line of the activation is dropped, and when it ends exactly one line says how many lines
 * and bytes were dropped and what raises the limit. Pure: the runner keeps the state and publishes.
 *
 * Only the tenant's own lines count; the engine's step lifecycle lines grow with steps, which have
 * limits of their own, and an operator needs them most when a tenant floods.
 */

/**
 * Bytes (UTF-8) of tenant console output per activation. A platform constant rather than a setting
 * (the design's settings document has no field for it): 1,000 lines of 1 KiB fit, a flood of long
 * lines does not fill the tenant's log stream (`KILN_LOGS` keeps 10,000 lines per instance).
 */
export const MAX_LOG_BYTES_PER_ACTIVATION = 1024 * 1024;

export interface LogCap {
  readonly lines: number;
  readonly bytes: number;
  readonly droppedLines: number;
  readonly droppedBytes: number;
  /** Which limit stopped the output, once one has. */
  readonly stoppedBy?: "lines" | "bytes";
}

export const emptyLogCap: LogCap = { lines: 0, bytes: 0, droppedLines: 0, droppedBytes: 0 };

/** Counts one line of `bytes`; `publish` says whether it goes out. */
export function admitLogLine(cap: LogCap, bytes: number, maxLines: number): { cap: LogCap; publish: boolean } {
  const stoppedBy = cap.stoppedBy ?? (cap.lines + 1 > maxLines ? "lines" : cap.bytes + bytes > MAX_LOG_BYTES_PER_ACTIVATION ? "bytes" : undefined);
  if (stoppedBy) return { cap: { ...cap, droppedLines: cap.droppedLines + 1, droppedBytes: cap.droppedBytes + bytes, stoppedBy }, publish: false };
  return { cap: { ...cap, lines: cap.lines + 1, bytes: cap.bytes + bytes }, publish: true };
}

/** The one line that ends a capped activation's output, or `undefined` if nothing was dropped. */
export function droppedLogNotice(cap: LogCap, maxLines: number): string | undefined {
  if (cap.droppedLines === 0) return undefined;
  const limit =
    cap.stoppedBy === "bytes"
      ? `its first ${cap.bytes} bytes reached the log, the most an activation may write (${MAX_LOG_BYTES_PER_ACTIVATION} bytes, a platform limit); log less, or shorter lines`
      : `its first ${cap.lines} lines reached the log, the tenant's limits.logLinesPerActivation (${maxLines}); log less, or ask the platform admin to raise limits.logLinesPerActivation in the tenant's settings`;
  return `dropped ${cap.droppedLines} log lines (${cap.droppedBytes} bytes) of this activation: ${limit}`;
}

/** UTF-8 length without encoding the text: a flood of lines is counted, not copied. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * The tenant's console output of one activation through the cap: `log` publishes what fits, `end`
 * publishes the drop notice, if any, with `notice`.
 */
export function cappedTenantLog<Level>(
  maxLines: number,
  publish: (level: Level, text: string) => void,
  notice: (text: string) => void,
): { log: (level: Level, text: string) => void; end: () => void } {
  let cap = emptyLogCap;
  return {
    log: (level, text) => {
      const admitted = admitLogLine(cap, utf8Length(text), maxLines);
      cap = admitted.cap;
      if (admitted.publish) publish(level, text);
    },
    end: () => {
      const text = droppedLogNotice(cap, maxLines);
      if (text !== undefined) notice(text);
    },
  };
}
