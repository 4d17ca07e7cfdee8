import { describe, expect, it } from "vitest";
import {
  MAX_STEP_RESULT_BYTES,
  parseActivationResult,
  parseEngineRequest,
  parseStepResult,
  ProtocolError,
  stepKey,
  type EngineRequest,
} from "../../contract/mod.ts";

const retries = { limit: 2, delayMs: 1_000, backoff: "exponential" } as const;
const at = { seq: 0, key: stepKey("charge card", 1), name: "charge card" };

/** The message of the `ProtocolError` that parsing `json` throws. */
function refusal(parse: (json: string) => unknown, json: string): string {
  try {
    parse(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("protocol_violation");
    return (error as Error).message;
  }
  throw new Error(`accepted: ${json}`);
}

describe("the activation protocol, as the engine reads what a guest sends", () => {
  it("accepts every request the SDK sends, unchanged", () => {
    const requests: EngineRequest[] = [
      { op: "step", ...at, timeoutMs: 60_000, retries },
      { op: "commit", ...at, result: '{"ok":true}', attempt: 1 },
      { op: "fail", ...at, error: { name: "TypeError", message: "boom", stack: "at x" }, attempt: 3, nonRetryable: false, retries },
      { op: "sleep", ...at, until: null, durationMs: 5_000 },
      { op: "sleep", ...at, until: 1_700_000_000_000.5, durationMs: 0 },
      { op: "step", ...at, key: stepKey("界".repeat(256), 1), name: "界".repeat(256), timeoutMs: 100 * 31_536_000_000, retries },
      { op: "wait", ...at, type: "approved", timeoutMs: 86_400_000 },
      { op: "now" },
      { op: "random", bytes: 4 },
    ];
    for (const request of requests) expect(parseEngineRequest(JSON.stringify(request))).toEqual(request);
  });

  it("refuses text that is not JSON, quoting it", () => {
    expect(refusal(parseEngineRequest, "not json")).toMatch(/^the component sent an invalid engine.call request: it is not JSON .*'not json'/);
  });

  it("refuses an op outside the protocol, naming the ones there are", () => {
    expect(refusal(parseEngineRequest, '{"op":"steal","tenant":"other"}')).toContain("'op': expected one of step, commit, fail, sleep, wait, now, random");
  });

  it("refuses a step key that could address another journal entry", () => {
    for (const key of ["a.b.c", "../x", "*", ">", "a.1.a1", "x"]) {
      expect(refusal(parseEngineRequest, JSON.stringify({ op: "sleep", ...at, key, until: null, durationMs: 1 }))).toContain("'key': expected a step key");
    }
  });

  it("bounds names, counts, durations and sizes", () => {
    const tooLong = { op: "step", ...at, name: "n".repeat(257), timeoutMs: 1_000, retries };
    expect(refusal(parseEngineRequest, JSON.stringify(tooLong))).toContain("'name'");
    expect(refusal(parseEngineRequest, JSON.stringify({ op: "step", ...at, seq: 10_000_000, timeoutMs: 1_000, retries }))).toContain("'seq'");
    expect(refusal(parseEngineRequest, JSON.stringify({ op: "step", ...at, timeoutMs: -1, retries }))).toContain("'timeoutMs'");
    expect(refusal(parseEngineRequest, JSON.stringify({ op: "random", bytes: 1e9 }))).toContain("'bytes'");
    const huge = JSON.stringify({ op: "commit", ...at, result: JSON.stringify("é".repeat(MAX_STEP_RESULT_BYTES / 2)), attempt: 1 });
    expect(refusal(parseEngineRequest, huge)).toContain(`a step result is at most ${MAX_STEP_RESULT_BYTES} bytes`);
    expect(refusal(parseEngineRequest, "x".repeat(3 * MAX_STEP_RESULT_BYTES))).toMatch(/characters long, over the limit/);
  });

  it("accepts a result at its limit however much escaping doubles it in the request", () => {
    const result = JSON.stringify('"'.repeat(MAX_STEP_RESULT_BYTES / 2 - 2));
    expect(result.length).toBeLessThanOrEqual(MAX_STEP_RESULT_BYTES);
    const request = JSON.stringify({ op: "commit", ...at, result, attempt: 1 });
    expect(request.length).toBeGreaterThan(2 * MAX_STEP_RESULT_BYTES);
    expect(parseEngineRequest(request)).toMatchObject({ op: "commit", result });
  });

  it("drops a platform error code a guest puts on its own error", () => {
    const fail = { op: "fail", ...at, error: { name: "E", message: "m", code: "internal" }, attempt: 1, nonRetryable: true, retries };
    expect(parseEngineRequest(JSON.stringify(fail))).toEqual({ ...fail, error: { name: "E", message: "m" } });
  });

  it("refuses a committed result that is not JSON", () => {
    expect(() => parseStepResult("{oops", "charge card")).toThrow(/the result of step "charge card" is not JSON/);
  });

  it("reads activate results and refuses anything else", () => {
    expect(parseActivationResult('{"outcome":"complete","output":{"n":1}}')).toEqual({ outcome: "complete", output: { n: 1 } });
    expect(parseActivationResult('{"outcome":"suspended"}')).toEqual({ outcome: "suspended" });
    expect(refusal(parseActivationResult, '{"outcome":"done"}')).toMatch(/invalid activate result: 'outcome': expected one of complete, errored, suspended/);
    expect(refusal(parseActivationResult, '{"outcome":"errored","error":{"message":1}}')).toContain("'error.name'");
  });
});
