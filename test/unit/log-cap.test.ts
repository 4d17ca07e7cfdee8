/** The log cap of an activation (executor/log-cap.ts): what reaches the log subject, and the one drop notice. */
import { describe, expect, it } from "vitest";
import { admitLogLine, cappedTenantLog, droppedLogNotice, emptyLogCap, MAX_LOG_BYTES_PER_ACTIVATION, utf8Length, type LogCap } from "../../executor/log-cap.ts";

const admitAll = (lines: number[], maxLines: number) => {
  let cap: LogCap = emptyLogCap;
  const published: boolean[] = [];
  for (const bytes of lines) {
    const admitted = admitLogLine(cap, bytes, maxLines);
    cap = admitted.cap;
    published.push(admitted.publish);
  }
  return { cap, published };
};

describe("log cap", () => {
  it("publishes up to limits.logLinesPerActivation lines and counts what it drops", () => {
    const { cap, published } = admitAll([10, 10, 10, 10, 10], 3);
    expect(published).toEqual([true, true, true, false, false]);
    expect(cap).toEqual({ lines: 3, bytes: 30, droppedLines: 2, droppedBytes: 20, stoppedBy: "lines" });
  });

  it("stops at the byte cap, and keeps dropping once stopped even if a short line would fit", () => {
    const { cap, published } = admitAll([MAX_LOG_BYTES_PER_ACTIVATION - 5, 10, 1], 1_000);
    expect(published).toEqual([true, false, false]);
    expect(cap).toMatchObject({ droppedLines: 2, droppedBytes: 11, stoppedBy: "bytes" });
  });

  it("says nothing when nothing was dropped", () => {
    expect(droppedLogNotice(admitAll([10, 10], 2).cap, 2)).toBeUndefined();
  });

  it("ends a capped activation with one line naming the counts and the setting that raises it", () => {
    const notice = droppedLogNotice(admitAll([10, 10, 10, 10], 2).cap, 2);
    expect(notice).toBe(
      "dropped 2 log lines (20 bytes) of this activation: its first 2 lines reached the log, the tenant's limits.logLinesPerActivation (2); " +
        "log less, or ask the platform admin to raise limits.logLinesPerActivation in the tenant's settings",
    );
  });

  it("names the byte cap when that is what stopped the output", () => {
    expect(droppedLogNotice(admitAll([MAX_LOG_BYTES_PER_ACTIVATION, 1], 1_000).cap, 1_000)).toContain(
      `(${MAX_LOG_BYTES_PER_ACTIVATION} bytes, a platform limit)`,
    );
  });

  it("publishes through the cap and gives the notice once, at the end", () => {
    const published: string[] = [];
    const notices: string[] = [];
    const log = cappedTenantLog<string>(
      2,
      (_, text) => published.push(text),
      (text) => notices.push(text),
    );
    for (const text of ["a", "b", "c", "d"]) log.log("info", text);
    expect(notices).toEqual([]);
    log.end();
    expect(published).toEqual(["a", "b"]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^dropped 2 log lines \(2 bytes\)/);
  });

  it("counts UTF-8 bytes as the encoder does", () => {
    for (const text of ["", "ascii", "é", "€uro", "😀 pair", "lone \ud800 surrogate", "\udc00"]) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});
