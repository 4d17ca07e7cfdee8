/**
 * Where each step's attempts, retry delays, sleeps and waits sit on the instance's time axis: a pure
 * function of the status view and the time now, drawn by timeline-svg.ts and tested without a browser.
 */
import type { InstanceView, StepView } from "../client/mod.ts";
import { FINAL_STATUSES } from "../contract/instance.ts";
import { formatDuration } from "./format.ts";

export type SegmentKind = "attempt" | "failed-attempt" | "retry-delay" | "sleep" | "wait";

/** One stretch of time in a step's row. */
export interface Segment {
  kind: SegmentKind;
  startMs: number;
  endMs: number;
  /** Still going at `now`: drawn up to now, with no end mark. */
  open: boolean;
  /** What a hover shows. */
  label: string;
  /** The attempt it was (attempts and failed attempts). */
  attempt?: number;
  error?: { name: string; message: string };
}

export interface TimelineRow {
  name: string;
  count: number;
  type: StepView["type"];
  status: StepView["status"];
  segments: Segment[];
}

export interface TimelineTick {
  ms: number;
  label: string;
}

export interface TimelineLayout {
  startMs: number;
  endMs: number;
  rows: TimelineRow[];
  ticks: TimelineTick[];
}

/** Tick spacings the axis may use: steps of 1, 2 and 5 from 1 ms to a week. */
const TICK_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];
const MAX_TICKS = 8;

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? undefined : value;
};

const errorOf = (error: { name?: string; message?: string } | undefined) =>
  error === undefined ? undefined : { name: error.name ?? "Error", message: error.message ?? "" };

/** The segments of one step; `anchorMs` is where a step with no start of its own (an open wait) begins. */
function segmentsOf(step: StepView, anchorMs: number, nowMs: number): Segment[] {
  const segments: Segment[] = [];
  const startedAt = ms(step.startedAt);
  const completedAt = ms(step.completedAt);
  const failed = step.failedAttempts ?? [];

  if (step.type === "do") {
    failed.forEach((attempt, index) => {
      const start = ms(attempt.startedAt) ?? anchorMs;
      const end = ms(attempt.failedAt) ?? start;
      const error = errorOf(attempt.error);
      segments.push({
        kind: "failed-attempt",
        startMs: start,
        endMs: end,
        open: false,
        attempt: attempt.attempt,
        label: `attempt ${attempt.attempt} failed after ${formatDuration(end - start)}: ${error?.name}: ${error?.message}`,
        ...(error ? { error } : {}),
      });
      // The wait before the next attempt: up to it, or (while retrying) up to now.
      const next = failed[index + 1];
      const nextStart = next ? ms(next.startedAt) : step.status === "complete" ? startedAt : undefined;
      const retrying = !next && (step.status === "retrying" || step.status === "running");
      const delayEnd = nextStart ?? (retrying ? nowMs : undefined);
      if (delayEnd !== undefined && delayEnd > end) {
        segments.push({
          kind: "retry-delay",
          startMs: end,
          endMs: delayEnd,
          open: nextStart === undefined,
          label: `waited ${formatDuration(delayEnd - end)} to retry`,
        });
      }
    });
    // The final attempt; a step that failed for good has it among its failed attempts already.
    const lastFailed = failed.at(-1)?.attempt;
    if (startedAt !== undefined && completedAt !== undefined && lastFailed !== step.attempts) {
      const ok = step.status === "complete";
      const error = errorOf(step.error);
      segments.push({
        kind: ok ? "attempt" : "failed-attempt",
        startMs: startedAt,
        endMs: completedAt,
        open: false,
        attempt: step.attempts,
        label: `attempt ${step.attempts} ${ok ? "succeeded" : "failed"} in ${formatDuration(completedAt - startedAt)}`,
        ...(error ? { error } : {}),
      });
    }
    return segments;
  }

  const until = ms(step.until);
  if (step.type === "sleep") {
    const start = startedAt ?? anchorMs;
    if (step.status === "sleeping") {
      // Drawn up to now, not to its end: a day's sleep would squeeze every other step to a line.
      const wakes = until === undefined ? "" : `, wakes in ${formatDuration(Math.max(0, until - nowMs))}`;
      return [{ kind: "sleep", startMs: start, endMs: Math.max(start, nowMs), open: true, label: `sleeping${wakes}` }];
    }
    const end = until ?? completedAt ?? start;
    return [{ kind: "sleep", startMs: start, endMs: end, open: false, label: `slept ${formatDuration(end - start)}` }];
  }

  // waitForEvent: done (with the event or a timeout), or still waiting until `until`.
  if (step.status === "waiting") {
    const start = startedAt ?? anchorMs;
    const end = Math.max(start, nowMs);
    const deadline = until === undefined ? "" : `, times out in ${formatDuration(Math.max(0, until - nowMs))}`;
    return [{ kind: "wait", startMs: start, endMs: end, open: true, label: `waiting for an event${deadline}` }];
  }
  const start = startedAt ?? anchorMs;
  const end = completedAt ?? start;
  const error = errorOf(step.error);
  return [
    {
      kind: "wait",
      startMs: start,
      endMs: end,
      open: false,
      label: error ? `gave up after ${formatDuration(end - start)}: ${error.message}` : `event after ${formatDuration(end - start)}`,
      ...(error ? { error } : {}),
    },
  ];
}

/** `+0`, `+500 ms`, `+2 s`, `+1 min 30 s`: ticks read as time since the instance was created. */
function ticksFor(startMs: number, endMs: number): TimelineTick[] {
  const span = Math.max(1, endMs - startMs);
  const step = TICK_STEPS_MS.find((candidate) => span / candidate <= MAX_TICKS) ?? TICK_STEPS_MS.at(-1)!;
  const ticks: TimelineTick[] = [];
  for (let offset = 0; offset <= span; offset += step) ticks.push({ ms: startMs + offset, label: offset === 0 ? "+0" : `+${formatDuration(offset)}` });
  return ticks;
}

/** The timeline of `view` as it stands at `nowMs`. */
export function layoutTimeline(view: InstanceView, nowMs: number): TimelineLayout {
  const createdMs = ms(view.createdAt) ?? nowMs;
  const final = FINAL_STATUSES.has(view.status);
  const rows: TimelineRow[] = [];
  let anchorMs = createdMs;
  for (const step of view.steps) {
    const segments = segmentsOf(step, anchorMs, nowMs);
    for (const segment of segments) anchorMs = Math.max(anchorMs, segment.endMs);
    rows.push({ name: step.name, count: step.count, type: step.type, status: step.status, segments });
  }
  // createdAt is the gateway's clock, step times the executors': a step is never clipped for their skew.
  const startMs = Math.min(createdMs, ...rows.flatMap((row) => row.segments.map((segment) => segment.startMs)));
  const ends = rows.flatMap((row) => row.segments.map((segment) => segment.endMs));
  // A running instance's axis reaches now; an ended one's stops where it ended.
  const endMs = Math.max(startMs + 1, ...ends, final ? (ms(view.updatedAt) ?? createdMs) : nowMs);
  return { startMs, endMs, rows, ticks: ticksFor(startMs, endMs) };
}
