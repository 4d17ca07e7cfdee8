/** When the sandbox may start a step's first attempt without asking the host (executor/sandbox/step-permit.js). */
import { describe, expect, it } from "vitest";
import { RUN_FIRST_ATTEMPT, startsUnderPermit } from "../../executor/sandbox/step-permit.js";
import { parseEngineRequest, type EngineRequest, type EngineResponse } from "../../contract/mod.ts";

const NOW = 1_000_000;
const TERMS = { keysWithAttempts: new Set(["c3RlcA.2"]), stepTimeoutMaxMs: 60_000 };
/** As the SDK sends it: JSON.stringify of the request object, `op` first. */
const ask = (request: EngineRequest) => JSON.stringify(request);
const retries = { limit: 5, delayMs: 1_000, backoff: "exponential" as const };
const step = (key: string, timeoutMs = 30_000) => ask({ op: "step", seq: 0, key, name: "step", timeoutMs, retries });

describe("step permit", () => {
  it("starts a first attempt while the permit holds", () => {
    expect(startsUnderPermit(step("c3RlcA.1"), NOW + 1, NOW, TERMS)).toBe(true);
  });

  it("asks once the permit ran out or was withdrawn", () => {
    expect(startsUnderPermit(step("c3RlcA.1"), NOW, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit(step("c3RlcA.1"), NOW - 1, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit(step("c3RlcA.1"), 0, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit(step("c3RlcA.1"), Number.NaN, NOW, TERMS)).toBe(false);
  });

  it("asks for a step with earlier attempts: the retry delay is the host's to judge", () => {
    expect(startsUnderPermit(step("c3RlcA.2"), NOW + 1, NOW, TERMS)).toBe(false);
  });

  it("asks for a step whose timeout is over the tenant's limit: the host records that failure", () => {
    expect(startsUnderPermit(step("c3RlcA.1", 60_001), NOW + 1, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit(step("c3RlcA.1", 60_000), NOW + 1, NOW, TERMS)).toBe(true);
  });

  it("asks for everything that is not a step start", () => {
    const others: EngineRequest[] = [
      { op: "now" },
      { op: "random", bytes: 4 },
      { op: "commit", seq: 0, key: "c3RlcA.1", name: "step", result: '{"op":"step"}', attempt: 1 },
      { op: "sleep", seq: 0, key: "bmFw.1", name: "nap", until: null, durationMs: 10 },
    ];
    for (const other of others) expect(startsUnderPermit(ask(other), NOW + 1, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit('{"op":"step", not json', NOW + 1, NOW, TERMS)).toBe(false);
    expect(startsUnderPermit('{"op":"step","timeoutMs":1}', NOW + 1, NOW, TERMS)).toBe(false);
  });

  it("answers what the host answers to a permitted first attempt", () => {
    expect(JSON.parse(RUN_FIRST_ATTEMPT)).toEqual({ action: "run", attempt: 1 } satisfies EngineResponse);
    // The SDK's step request starts as the prefix the permit looks for.
    expect(parseEngineRequest(step("c3RlcA.1")).op).toBe("step");
  });
});
