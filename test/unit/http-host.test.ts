/** The per-activation host of `kiln:workflow/http`: guest input parsed, steps enforced, operators told. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveSettings } from "../../contract/settings.ts";
import { createHttpHost, type HttpHostDeps } from "../../executor/egress/http-host.ts";
import { ExecutorMetrics } from "../../executor/metrics.ts";

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url?.startsWith("/slow")) return void setTimeout(() => response.end("late"), 1_000);
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function host(overrides: Partial<HttpHostDeps> = {}) {
  const lines: string[] = [];
  const metrics = new ExecutorMetrics({ runningByTenant: () => new Map(), idleSandboxes: () => 0, queueDepths: async () => new Map() });
  const serve = createHttpHost({
    settings: () => resolveSettings({ egress: { allow: [`127.0.0.1:${port}`] } }),
    stepRemainingMs: () => 10_000,
    log: (_level, message) => lines.push(message),
    observe: (outcome, ms) => metrics.fetchFinished("acme", outcome, ms),
    ...overrides,
  });
  return { serve, lines, metrics };
}

const request = (path: string) => ({ method: "GET", url: `http://127.0.0.1:${port}${path}`, headers: [["authorization", "Bearer secret-token"]] });

it("answers a call with the response and logs method, host, status and time — never the path, query or headers", async () => {
  const { serve, lines, metrics } = host();
  const { answer, body } = await serve(request("/hello?token=secret-token"));
  expect(answer).toMatchObject({ ok: true, response: { status: 200 } });
  expect(new TextDecoder().decode(body)).toBe("ok");
  expect(lines).toEqual([expect.stringMatching(new RegExp(`^fetch GET 127\\.0\\.0\\.1:${port} → 200 in \\d+ ms$`))]);
  expect(lines.join("\n")).not.toContain("secret-token");
  expect(await metrics.render()).toContain('kiln_fetch_requests_total{tenant="acme",outcome="ok"} 1');
});

it("refuses a forged or malformed request instead of trusting it", async () => {
  const { serve, metrics } = host();
  const { answer } = await serve({ method: "GET", url: 42, headers: "none" });
  expect(answer).toMatchObject({ ok: false, error: { tag: "invalid" } });
  expect(await metrics.render()).toContain('kiln_fetch_requests_total{tenant="acme",outcome="invalid"} 1');
});

it("refuses a call outside a step body", async () => {
  const { serve } = host({ stepRemainingMs: () => undefined });
  const { answer } = await serve(request("/"));
  expect(answer).toEqual({
    ok: false,
    error: { tag: "refused", val: `fetch to '127.0.0.1:${port}' refused: fetch is only allowed inside a step body; wrap it in step.do` },
  });
});

it("never waits past the step's remaining timeout", async () => {
  const { serve } = host({ stepRemainingMs: () => 150 });
  const { answer } = await serve(request("/slow"));
  expect(answer).toEqual({ ok: false, error: { tag: "timeout", val: `fetch to '127.0.0.1:${port}' timed out after 150 ms` } });
});

it("reads the settings on every call, so a change applies at once", async () => {
  let allow: string[] = [];
  const { serve } = host({ settings: () => resolveSettings({ egress: { allow } }) });
  expect((await serve(request("/"))).answer).toMatchObject({ ok: false, error: { tag: "refused" } });
  allow = [`127.0.0.1:${port}`];
  expect((await serve(request("/"))).answer).toMatchObject({ ok: true });
});
