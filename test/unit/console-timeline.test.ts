/** The console's step timeline layout (console/timeline.ts): where each attempt, delay, sleep and wait sits. */
import { describe, expect, it } from "vitest";
import type { InstanceView, StepView } from "../../client/mod.ts";
import { layoutTimeline } from "../../console/timeline.ts";

const T0 = Date.parse("2026-12-02T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

function view(status: InstanceView["status"], steps: StepView[], updatedMs = 10_000): InstanceView {
  return { id: "i", workflow: "w", version: "v", status, params: null, steps, createdAt: at(0), updatedAt: at(updatedMs) };
}

const kinds = (layout: ReturnType<typeof layoutTimeline>, row: number) =>
  layout.rows[row]!.segments.map(({ kind, startMs, endMs, open, attempt }) => ({ kind, from: startMs - T0, to: endMs - T0, open, attempt }));

describe("the step timeline layout", () => {
  it("draws a retried step as its failed attempt, the delay, and the attempt that succeeded", () => {
    const layout = layoutTimeline(
      view("complete", [
        {
          name: "charge",
          count: 1,
          type: "do",
          status: "complete",
          attempts: 2,
          startedAt: at(2_000),
          completedAt: at(2_300),
          failedAttempts: [{ attempt: 1, error: { name: "Error", message: "down" }, startedAt: at(100), failedAt: at(400) }],
        },
      ]),
      T0 + 60_000,
    );
    expect(kinds(layout, 0)).toEqual([
      { kind: "failed-attempt", from: 100, to: 400, open: false, attempt: 1 },
      { kind: "retry-delay", from: 400, to: 2_000, open: false, attempt: undefined },
      { kind: "attempt", from: 2_000, to: 2_300, open: false, attempt: 2 },
    ]);
    expect(layout.rows[0]!.segments[0]!.error).toEqual({ name: "Error", message: "down" });
    // An ended instance's axis stops where it ended, not at now.
    expect(layout.endMs - T0).toBe(10_000);
  });

  it("does not draw a step's last attempt twice when it failed for good", () => {
    const error = { name: "NonRetryableError", message: "closed" };
    const layout = layoutTimeline(
      view("errored", [
        {
          name: "doomed",
          count: 1,
          type: "do",
          status: "failed",
          attempts: 1,
          startedAt: at(100),
          completedAt: at(200),
          error,
          failedAttempts: [{ attempt: 1, error, startedAt: at(100), failedAt: at(200) }],
        },
      ]),
      T0 + 60_000,
    );
    expect(kinds(layout, 0)).toEqual([{ kind: "failed-attempt", from: 100, to: 200, open: false, attempt: 1 }]);
  });

  it("draws a step waiting for its retry up to now, open", () => {
    const layout = layoutTimeline(
      view("sleeping", [
        {
          name: "flaky",
          count: 1,
          type: "do",
          status: "retrying",
          attempts: 1,
          failedAttempts: [{ attempt: 1, error: { name: "Error", message: "busy" }, startedAt: at(0), failedAt: at(50) }],
        },
      ]),
      T0 + 5_000,
    );
    expect(kinds(layout, 0)).toEqual([
      { kind: "failed-attempt", from: 0, to: 50, open: false, attempt: 1 },
      { kind: "retry-delay", from: 50, to: 5_000, open: true, attempt: undefined },
    ]);
    expect(layout.endMs - T0).toBe(5_000);
  });

  it("draws sleeps to their end and an open wait from where the step before it ended", () => {
    const layout = layoutTimeline(
      view("waiting", [
        { name: "nap", count: 1, type: "sleep", status: "complete", attempts: 1, startedAt: at(1_000), completedAt: at(3_000), until: at(3_000) },
        { name: "approval", count: 1, type: "waitForEvent", status: "waiting", attempts: 1, until: at(3_600_000) },
      ]),
      T0 + 8_000,
    );
    expect(kinds(layout, 0)).toEqual([{ kind: "sleep", from: 1_000, to: 3_000, open: false, attempt: undefined }]);
    expect(kinds(layout, 1)).toEqual([{ kind: "wait", from: 3_000, to: 8_000, open: true, attempt: undefined }]);
    expect(layout.rows.map((row) => [row.name, row.type, row.status])).toEqual([
      ["nap", "sleep", "complete"],
      ["approval", "waitForEvent", "waiting"],
    ]);
  });

  it("draws a sleep still going up to now, not to its end a day later", () => {
    const layout = layoutTimeline(
      view("sleeping", [{ name: "nap", count: 1, type: "sleep", status: "sleeping", attempts: 1, startedAt: at(1_000), until: at(86_400_000) }]),
      T0 + 4_000,
    );
    expect(kinds(layout, 0)).toEqual([{ kind: "sleep", from: 1_000, to: 4_000, open: true, attempt: undefined }]);
    expect(layout.rows[0]!.segments[0]!.label).toBe("sleeping, wakes in 23 h 59 min");
    expect(layout.endMs - T0).toBe(4_000);
  });

  it("shows a wait that timed out with its error", () => {
    const layout = layoutTimeline(
      view("errored", [
        {
          name: "approval",
          count: 1,
          type: "waitForEvent",
          status: "failed",
          attempts: 1,
          startedAt: at(0),
          completedAt: at(1_000),
          error: { name: "WaitForEventTimeoutError", message: "no 'ok' event" },
        },
      ]),
      T0 + 2_000,
    );
    expect(layout.rows[0]!.segments[0]).toMatchObject({ kind: "wait", error: { name: "WaitForEventTimeoutError" } });
  });

  it("starts the axis at the earliest step when an executor's clock is behind the gateway's", () => {
    const kept: StepView = { name: "kept", count: 1, type: "do", status: "complete", attempts: 1, startedAt: at(-5_000), completedAt: at(-4_000) };
    const layout = layoutTimeline(view("complete", [kept]), T0 + 60_000);
    expect(layout.startMs - T0).toBe(-5_000);
    expect(kinds(layout, 0)).toEqual([{ kind: "attempt", from: -5_000, to: -4_000, open: false, attempt: 1 }]);
  });

  it("labels the axis from +0 with at most eight ticks", () => {
    const layout = layoutTimeline(view("running", []), T0 + 95_000);
    expect(layout.ticks[0]).toEqual({ ms: T0, label: "+0" });
    expect(layout.ticks.length).toBeLessThanOrEqual(9);
    expect(layout.ticks.map((tick) => tick.label)).toContain("+1 min");
  });
});
