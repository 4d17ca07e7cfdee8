import { expect, it } from "vitest";
import { percentile, summarize } from "../../bench/stats.ts";
import { runFileId, runtimeId } from "../../bench/report.ts";

it("takes nearest-rank percentiles", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 0.5)).toBe(50);
  expect(percentile(sorted, 0.99)).toBe(99);
  expect(percentile([7], 0.99)).toBe(7);
  expect(percentile([], 0.5)).toBeNaN();
});

it("summarizes unsorted samples", () => {
  expect(summarize([3, 1, 2])).toEqual({ n: 3, p50: 2, p99: 3, min: 1, max: 3, mean: 2 });
});

it("names result files by runtime and major version", () => {
  expect(runtimeId("node v20.20.2")).toBe("node20");
  expect(runtimeId("node v24.21.0")).toBe("node24");
  expect(runtimeId("deno 2.9.6")).toBe("deno2");
});

it("keeps quick runs apart from full runs", () => {
  expect(runFileId({ quick: true, machine: { runtime: "deno 2.9.6" } as never })).toBe("deno2-quick");
  expect(runFileId({ quick: false, machine: { runtime: "node v20.20.2" } as never })).toBe("node20");
});
