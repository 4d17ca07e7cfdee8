/** What a benchmark scenario reports: Kiln's figure, the floor it is built on, and the design's target. */
import type { Summary } from "./stats.ts";

export interface Measured {
  label: string;
  unit: "ms" | "steps/s" | "ops/s" | "MiB";
  /** Latencies carry a distribution; rates and sizes a single number. */
  value: Summary | number;
}

export interface Figure {
  /** Stable key, so runs can be compared. */
  id: string;
  title: string;
  kiln: Measured;
  floor?: Measured;
  /** Kiln's p50 (or value) over the floor's, when both exist. */
  ratio?: number;
  target?: { text: string; met: boolean };
  note?: string;
}

export function central(measured: Measured): number {
  return typeof measured.value === "number" ? measured.value : measured.value.p50;
}

/** Builds a figure, deriving the ratio to the floor. */
export function figure(fields: Omit<Figure, "ratio">): Figure {
  const ratio = fields.floor ? central(fields.kiln) / central(fields.floor) : undefined;
  return { ...fields, ...(ratio === undefined ? {} : { ratio }) };
}
