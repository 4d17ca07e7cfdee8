/** Service log lines: JSON records with level names and ids, or compact text for a terminal. */
import { expect, it } from "vitest";
import { formatPrettyLine } from "../../infra/log-line-format.ts";
import { loadLogSettings } from "../../infra/logger.ts";
import { requestIds } from "../../gateway/request-ids.ts";

it("reads KILN_LOG_LEVEL and KILN_LOG_FORMAT, quoting a bad value", () => {
  expect(loadLogSettings({})).toEqual({ level: "info", format: "json" });
  expect(loadLogSettings({ KILN_LOG_LEVEL: "debug", KILN_LOG_FORMAT: "pretty" })).toEqual({ level: "debug", format: "pretty" });
  expect(() => loadLogSettings({ KILN_LOG_LEVEL: "loud" })).toThrow("got 'loud'");
  expect(() => loadLogSettings({ KILN_LOG_FORMAT: "xml" })).toThrow("got 'xml'");
});

it("prints a record as one compact line: time, level, who, message, then the other fields", () => {
  const record = { level: "warn", time: "2026-12-02T06:01:02.123Z", service: "executor", executor: "executor-1a2b3c4d", tenant: "acme", msg: "slot kept" };
  expect(formatPrettyLine(`${JSON.stringify(record)}\n`)).toBe("06:01:02.123 WARN  executor executor-1a2b3c4d slot kept tenant=acme\n");
  const withError = {
    level: "error",
    time: "2026-12-02T06:01:02.123Z",
    service: "gateway",
    msg: "request failed",
    err: { message: "boom", stack: "Error: boom\n    at x" },
  };
  expect(formatPrettyLine(JSON.stringify(withError))).toBe("06:01:02.123 ERROR gateway request failed\nError: boom\n    at x\n");
});

it("names the tenant, workflow and instance of a request path for its log line", () => {
  expect(requestIds("/v1/tenants/acme/workflows/wf/instances/x1/logs")).toEqual({ tenant: "acme", workflow: "wf", instance: "x1" });
  expect(requestIds("/v1/tenants/acme/workflows/wf/instances/batch")).toEqual({ tenant: "acme", workflow: "wf" });
  expect(requestIds("/healthz")).toEqual({});
});
